//! The floor of the side-by-side over TLS: the bare function of
//! `lambda-hello` plus, per invocation, one HTTPS request to
//! `AWS_ENDPOINT_URL_DYNAMODB` with the TLS stack the Orders functions use
//! (rustls on `ring`, the system roots through `rustls-native-certs`,
//! webpki verification), and nothing else: no SDK, no signing, no logs.
//! The roots are loaded and the client configuration built at the first
//! request, as the SDK's HTTPS connector does, and kept for the warm ones.

use std::sync::{Arc, OnceLock};

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

fn config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            Arc::new(
                ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default protocol versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        })
        .clone()
}

/// `https://host:port` of the endpoint, split; `None` for anything else.
fn host_port(url: &str) -> Option<(String, u16)> {
    let authority = url.strip_prefix("https://")?.split('/').next()?;
    let (host, port) = authority.rsplit_once(':')?;
    Some((host.to_string(), port.parse().ok()?))
}

/// One `GET /` over a new TLS connection; the response's status line.
async fn get(url: &str) -> Result<String, Error> {
    let (host, port) = host_port(url).ok_or_else(|| format!("not https://host:port: {url}"))?;
    let tcp = TcpStream::connect((host.as_str(), port)).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(host.clone())?;
    let mut tls = TlsConnector::from(config()).connect(name, tcp).await?;
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    Ok(text.lines().next().unwrap_or_default().to_string())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")?;
    let endpoint = endpoint.as_str();
    run(service_fn(|event: LambdaEvent<Value>| async move {
        let status = get(endpoint).await?;
        Ok::<Value, Error>(json!({"status": status, "requestId": event.context.request_id}))
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn endpoints_split_into_host_and_port() {
        assert_eq!(
            host_port("https://127.0.0.1:8443"),
            Some(("127.0.0.1".into(), 8443))
        );
        assert_eq!(
            host_port("https://localhost:443/x"),
            Some(("localhost".into(), 443))
        );
        assert_eq!(host_port("http://127.0.0.1:8000"), None);
        assert_eq!(host_port("https://no-port"), None);
    }
}
