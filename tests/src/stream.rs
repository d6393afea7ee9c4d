//! A blocking WebSocket client for the node's event streams.

use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// One open stream (`/api/v1/events`, `/api/v1/agents/{id}/events`, `/api/v1/statistics/stream`).
pub struct EventStream {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
}

impl EventStream {
    /// Connects to `path` (with its query) on `base_url` (`http://host:port`) with the token.
    pub fn connect(base_url: &str, path: &str, token: &str) -> Result<EventStream, String> {
        let url = format!("{}{}", base_url.replacen("http://", "ws://", 1), path);
        let mut request = url.as_str().into_client_request().map_err(|e| format!("{url}: {e}"))?;
        let bearer = format!("Bearer {token}").parse().map_err(|e| format!("token header: {e}"))?;
        request.headers_mut().insert("authorization", bearer);
        let (socket, _) = tungstenite::connect(request).map_err(|e| format!("connecting to {url}: {e}"))?;
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream.set_read_timeout(Some(Duration::from_millis(500))).map_err(|e| e.to_string())?;
        }
        Ok(EventStream { socket })
    }

    /// The next JSON frame, `Ok(None)` if none came within the read timeout.
    pub fn next_frame(&mut self) -> Result<Option<Value>, String> {
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str()).map(Some).map_err(|e| format!("frame {text}: {e}"))
                }
                Ok(Message::Close(frame)) => return Err(format!("stream closed: {frame:?}")),
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(format!("reading the stream: {e}")),
            }
        }
    }
}
