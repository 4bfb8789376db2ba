//! A loopback HTTPS server with a throwaway certificate authority, for the
//! tests of certificate verification.
//!
//! Each test makes a fresh CA that no system trust store contains, so
//! libavara must reject the server unless the test passes the CA's PEM file
//! with `--ca-file`.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::{library_dir, read_http_request};

/// Connections a [`TlsServer`] accepts before its thread ends. A test makes
/// a handful at most.
const MAX_CONNECTIONS: usize = 32;

/// A certificate authority and its PEM file on disk.
pub struct TestCa {
    certificate: rcgen::Certificate,
    key: KeyPair,
    pem_path: PathBuf,
}

impl TestCa {
    /// Creates a CA and writes its certificate to a PEM file under the
    /// test output directory. `name` keeps files of parallel tests apart.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("generate the CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("libavara test CA {name}"));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key).expect("self-sign the CA");

        let dir = library_dir().join("c-tests").join("tls");
        std::fs::create_dir_all(&dir).unwrap();
        let pem_path = dir.join(format!("{name}-{}-ca.pem", std::process::id()));
        std::fs::write(&pem_path, certificate.pem()).unwrap();
        TestCa {
            certificate,
            key,
            pem_path,
        }
    }

    pub fn pem_path(&self) -> &Path {
        &self.pem_path
    }

    /// Returns the CA's own certificate and key, for a server that presents
    /// a CA certificate as its own.
    pub fn own_certificate(&self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()));
        (self.certificate.der().clone(), key)
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses)
    /// and returns it with its private key.
    pub fn issue(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("generate the server key");
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "libavara test server");
        let certificate = params
            .signed_by(&key, &self.certificate, &self.key)
            .expect("sign the server certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (certificate.der().clone(), key)
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pem_path);
    }
}

/// What a [`TlsServer`] received: request heads that arrived over a
/// completed handshake, and the errors of handshakes that failed.
#[derive(Default)]
struct Received {
    request_heads: Mutex<Vec<String>>,
    handshake_errors: Mutex<Vec<String>>,
    connections: AtomicUsize,
}

/// An HTTPS server on 127.0.0.1 that sends the same response to every
/// request and closes the connection after it.
pub struct TlsServer {
    addr: SocketAddr,
    received: Arc<Received>,
}

impl TlsServer {
    /// Starts the server with `certificate`. It sends `response` (a whole
    /// HTTP/1.1 response, head and body) to every request.
    pub fn start(
        certificate: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
        response: String,
    ) -> TlsServer {
        let provider = rustls::crypto::ring::default_provider();
        TlsServer::start_with_provider(certificate, key, response, provider)
    }

    /// Like [`TlsServer::start`], with the cipher suites and other
    /// algorithms of `provider`.
    pub fn start_with_provider(
        certificate: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
        response: String,
        provider: rustls::crypto::CryptoProvider,
    ) -> TlsServer {
        let config = ServerConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certificate], key)
            .expect("a valid server certificate and key");
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Received::default());
        let shared = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().take(MAX_CONNECTIONS) {
                let Ok(stream) = stream else { break };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let config = Arc::clone(&config);
                let shared = Arc::clone(&shared);
                let response = response.clone();
                std::thread::spawn(move || serve(stream, config, &shared, &response));
            }
        });
        TlsServer { addr, received }
    }

    /// Starts a server that responds 200 with a success body.
    pub fn start_ok(certificate: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Self {
        let body = r#"{"success":true,"message":"added over TLS"}"#;
        TlsServer::start(certificate, key, http_response("200 OK", &[], body))
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Returns the heads of the requests received over a completed handshake.
    pub fn request_heads(&self) -> Vec<String> {
        self.received.request_heads.lock().unwrap().clone()
    }

    /// Returns the errors of the handshakes that failed, as the server saw them.
    pub fn handshake_errors(&self) -> Vec<String> {
        self.received.handshake_errors.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.received.connections.load(Ordering::SeqCst)
    }
}

/// Formats a complete HTTP/1.1 response that closes the connection.
pub fn http_response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(body);
    response
}

fn serve(stream: TcpStream, config: Arc<ServerConfig>, received: &Received, response: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let connection = ServerConnection::new(config).expect("a server connection");
    let mut tls = StreamOwned::new(connection, stream);

    // The first read drives the handshake, so a rejected certificate shows
    // up here as the alert the client sent.
    let request = match read_http_request(&mut tls) {
        Ok(request) if !request.is_empty() => request,
        Ok(_) => return,
        Err(error) => {
            received
                .handshake_errors
                .lock()
                .unwrap()
                .push(error.to_string());
            return;
        }
    };
    let text = String::from_utf8_lossy(&request);
    let head = text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
    received.request_heads.lock().unwrap().push(head);

    let _ = tls.write_all(response.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
