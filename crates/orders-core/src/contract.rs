//! `contracts/functions.json`: the functions, how each is triggered and the
//! environment variables the stack sets on them, written once. The CDK app
//! deploys each function with exactly its contract's variables
//! (cdk/lib/functions-contract.ts); here the variables' names are
//! [`env`]'s constants, which a test holds to the same file, and the local
//! host dispatches the contract's API and saga functions
//! ([`functions_contract`]).

use serde::Deserialize;
use std::sync::OnceLock;

/// The contract, built into the binary.
pub const FUNCTIONS_CONTRACT_JSON: &str = include_str!("../../../contracts/functions.json");

/// The environment variables the stack sets, by the contract's names. Every
/// crate that reads one names it through these constants.
pub mod env {
    /// The stage name (every function); a metric dimension.
    pub const STAGE: &str = "STAGE";
    /// The tracing filter (every function).
    pub const RUST_LOG: &str = "RUST_LOG";
    /// The CloudWatch namespace of the EMF metrics (every function).
    pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
    /// The orders table.
    pub const ORDERS_TABLE_NAME: &str = "ORDERS_TABLE_NAME";
    /// The CORS origins an API function answers for.
    pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
    /// The order saga the processor starts.
    pub const STATE_MACHINE_ARN: &str = "STATE_MACHINE_ARN";
    /// The notifier's verified SES sender; unset: no e-mail.
    pub const EMAIL_SENDER: &str = "EMAIL_SENDER";
    /// Whether the notifier sends SMS.
    pub const SMS_ENABLED: &str = "SMS_ENABLED";

    /// Every variable above: the contract's `environment.variables`, exactly.
    pub const ALL: &[&str] = &[
        STAGE,
        RUST_LOG,
        METRICS_NAMESPACE,
        ORDERS_TABLE_NAME,
        ALLOWED_ORIGINS,
        STATE_MACHINE_ARN,
        EMAIL_SENDER,
        SMS_ENABLED,
    ];
}

/// How a function is invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    /// A route of the REST API (contracts/gateway.json names which).
    Api,
    /// An SQS event source.
    Sqs,
    /// An SNS subscription.
    Sns,
    /// A task of the order saga.
    Saga,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Trigger {
    #[serde(rename = "type")]
    pub kind: TriggerKind,
    /// What feeds an SQS or SNS function.
    #[serde(default)]
    pub source: Option<String>,
    /// The saga ASL's `DefinitionSubstitutions` key a saga function fills.
    #[serde(default)]
    pub substitution: Option<String>,
}

/// One function of the contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSpec {
    /// The function crate, `lambdas/<name>`.
    pub name: String,
    pub trigger: Trigger,
    /// Variables always set on it, beyond the common ones.
    pub environment: Vec<String>,
    /// Variables set only in some stages.
    #[serde(default)]
    pub optional_environment: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Environment {
    pub common: Vec<String>,
    /// Name -> what it holds (`$comment` aside).
    pub variables: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FunctionsContract {
    pub environment: Environment,
    pub functions: Vec<FunctionSpec>,
}

impl FunctionsContract {
    /// The functions invoked by `kind`, in the contract's order.
    pub fn triggered_by(&self, kind: TriggerKind) -> impl Iterator<Item = &FunctionSpec> {
        self.functions
            .iter()
            .filter(move |f| f.trigger.kind == kind)
    }

    pub fn function(&self, name: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The variable names of `environment.variables`.
    pub fn variable_names(&self) -> impl Iterator<Item = &str> {
        self.environment
            .variables
            .keys()
            .map(String::as_str)
            .filter(|k| !k.starts_with('$'))
    }
}

/// The contract, parsed once.
pub fn functions_contract() -> &'static FunctionsContract {
    static CONTRACT: OnceLock<FunctionsContract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        serde_json::from_str(FUNCTIONS_CONTRACT_JSON).expect("contracts/functions.json is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_env_constants_are_the_contracts_variables() {
        let contract: BTreeSet<&str> = functions_contract().variable_names().collect();
        let ours: BTreeSet<&str> = env::ALL.iter().copied().collect();
        assert_eq!(ours, contract);
        assert_eq!(ours.len(), env::ALL.len(), "env::ALL lists a name twice");
    }

    #[test]
    fn every_variable_a_function_reads_is_declared() {
        let c = functions_contract();
        let known: BTreeSet<&str> = c.variable_names().collect();
        for v in &c.environment.common {
            assert!(known.contains(v.as_str()), "common {v}");
        }
        for f in &c.functions {
            for v in f.environment.iter().chain(&f.optional_environment) {
                assert!(known.contains(v.as_str()), "{}: {v}", f.name);
            }
        }
    }

    #[test]
    fn saga_functions_name_their_substitution() {
        let c = functions_contract();
        assert!(c.triggered_by(TriggerKind::Saga).count() > 0);
        for f in c.triggered_by(TriggerKind::Saga) {
            assert!(f.trigger.substitution.is_some(), "{}", f.name);
        }
    }
}
