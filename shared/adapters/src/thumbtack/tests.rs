use super::*;
use std::sync::Arc;
use std::time::Duration;

fn client_for(base_url: String) -> HttpThumbtack {
    HttpThumbtack::new(
        &ThumbtackSettings {
            base_url,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        },
        ThumbtackCredentials::fixed(app::auth::Credential::new("partner", "secret")),
    )
    .unwrap()
}

#[tokio::test]
async fn a_401_with_a_credential_that_did_not_change_is_refused_after_one_request() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    let thumbtack = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_string("bad credentials"))
        .expect(1)
        .mount(&thumbtack)
        .await;
    let result = client_for(thumbtack.uri())
        .send_message("b1", "l1", "hello")
        .await;
    assert_eq!(
        result,
        Err(SendError::Permanent {
            status: 401,
            excerpt: "bad credentials".to_owned()
        })
    );
}

/// A keep-alive HTTP/1.1 server that answers 200 to everything and notes, per request, the
/// connection it came on and its request line.
async fn counting_server() -> (String, Arc<std::sync::Mutex<Vec<(usize, String)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<std::sync::Mutex<Vec<(usize, String)>>> = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        for connection in 0.. {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0_u8; 4096];
                loop {
                    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                    let length: usize = head
                        .lines()
                        .filter_map(|line| line.split_once(':'))
                        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, value)| value.trim().parse().ok())
                        .unwrap_or(0);
                    while buffer.len() < end + 4 + length {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                        }
                    }
                    buffer.drain(..end + 4 + length);
                    let line = head.lines().next().unwrap_or_default().to_owned();
                    log.lock().unwrap().push((connection, line));
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn warming_up_opens_the_connection_that_the_first_send_reuses() {
    let (url, seen) = counting_server().await;
    let client = HttpThumbtack::new(
        &ThumbtackSettings {
            base_url: url,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
        },
        ThumbtackCredentials::fixed(app::auth::Credential::new("partner", "secret")),
    )
    .unwrap();
    client.warm_up().await.unwrap();
    let accepted = client.send_message("b1", "l1", "hello").await.unwrap();
    assert_eq!(accepted.status, 200);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (0, "HEAD / HTTP/1.1".to_owned()),
            (
                0,
                "POST /v1/business/b1/lead/l1/message HTTP/1.1".to_owned()
            ),
        ],
        "one connection: opened by the warm-up, used by the send"
    );
}
