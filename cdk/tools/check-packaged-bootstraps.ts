import { checkPackagedBootstraps } from './packaged-bootstraps';

// Usage: tsx cdk/tools/check-packaged-bootstraps.ts [CDK_OUT]   (scripts/check-packaged-bootstraps.sh)
async function main(): Promise<number> {
  const dir = process.argv[2] ?? 'cdk.out';
  const { functions, problems } = await checkPackagedBootstraps(dir);
  for (const fn of functions) {
    if (!problems.some((p) => p.startsWith(`${fn.label}:`))) {
      console.log(`ok   ${fn.label}: bootstrap 0755 in a ${fn.zip.length} B (${(fn.zip.length / 1e6).toFixed(2)} MB) zip (asset ${fn.assetId.slice(0, 12)})`);
    }
  }
  for (const p of problems) console.error(`FAIL ${p}`);
  console.log(`${functions.length} function asset(s) packaged as cdk deploy packages them; ${problems.length} problem(s)`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`check-packaged-bootstraps: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
