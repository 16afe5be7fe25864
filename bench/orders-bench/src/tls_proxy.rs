//! `orders-bench tls-proxy`: a TLS endpoint on loopback in front of a
//! plain-HTTP one (DynamoDB Local), so the peers step's subjects open a
//! TLS connection at their first request the way they do on Lambda.
//! rustls on `ring` with the certificate chain and key `scripts/bench.sh`
//! makes per run under a private CA; each connection is accepted, its
//! handshake done, then its bytes copied both ways to the upstream.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::http_client::refuse_non_loopback;
use crate::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Where to accept TLS (loopback only).
    #[arg(long)]
    listen: SocketAddr,
    /// The plain endpoint behind it (loopback only).
    #[arg(long)]
    upstream: SocketAddr,
    /// PEM: the server certificate, then the intermediates.
    #[arg(long)]
    cert_chain: PathBuf,
    /// PEM: the server certificate's private key.
    #[arg(long)]
    key: PathBuf,
}

pub async fn run(args: Args) -> Result<()> {
    refuse_non_loopback(args.listen)?;
    refuse_non_loopback(args.upstream)?;
    let chain = CertificateDer::pem_file_iter(&args.cert_chain)?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&args.key)?;
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind(args.listen).await?;
    // The readiness line scripts/bench.sh waits for.
    println!(
        "tls-proxy: listening on {} -> {}",
        args.listen, args.upstream
    );
    loop {
        let (tcp, _) = listener.accept().await?;
        let (acceptor, upstream) = (acceptor.clone(), args.upstream);
        tokio::spawn(async move {
            if let Err(e) = relay(acceptor, tcp, upstream).await {
                eprintln!("tls-proxy: {e}");
            }
        });
    }
}

async fn relay(acceptor: TlsAcceptor, tcp: TcpStream, upstream: SocketAddr) -> Result<()> {
    tcp.set_nodelay(true)?;
    let mut tls = acceptor.accept(tcp).await?;
    let mut plain = TcpStream::connect(upstream).await?;
    plain.set_nodelay(true)?;
    tokio::io::copy_bidirectional(&mut tls, &mut plain).await?;
    Ok(())
}
