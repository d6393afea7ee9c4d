//! A desktop's WebSocket as the agent actor writes to it: without waiting.
//!
//! actix-ws hands out a session whose sends are `async` (a bounded channel to the response
//! body), which an actor cannot await in its handlers without adding a task per write. This
//! link keeps actix-ws for the handshake and for decoding what the desktop sends, and replaces
//! the response body with one fed by a channel the actor fills with `try_send`: a desktop that
//! lets [`FRAMES_QUEUED_MAX`] frames pile up is gone (its client resumes from its last index).
//! The body encodes every frame that is ready into one chunk, so a burst of events leaves in
//! one socket write.

use std::cell::Cell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_codec::Encoder;
use actix_http::ws::{Codec, Message};
use actix_web::body::{BodyStream, BoxBody};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use futures::stream::{LocalBoxStream, Stream, StreamExt};
use tandem_actors::{DeskLink, EncodedFrame, Incoming, Outgoing, SESSION_QUEUE_MAX};
use tandem_client::proto::{ClientMessage, Encoding, Frame, ServerBody, ServerMessage};
use tokio::sync::mpsc;

/// Frames queued for one desktop's socket before it counts as gone.
pub const FRAMES_QUEUED_MAX: usize = SESSION_QUEUE_MAX;

/// The desktop's encoding: the one its last frame came in (JSON until it sends binary),
/// shared by the decoder and the link on the socket's worker.
type SharedEncoding = Rc<Cell<Encoding>>;

/// The writing end.
pub struct WsLink {
    frames: mpsc::Sender<Message>,
    encoding: SharedEncoding,
}

impl WsLink {
    /// Sends a frame (before the actor has the link: the login's answer or refusal).
    pub fn send_body(&mut self, body: ServerBody) -> bool {
        self.send(Outgoing::Body(body))
    }
}

impl DeskLink for WsLink {
    fn send(&mut self, frame: Outgoing<'_>) -> bool {
        let message = match frame {
            Outgoing::Body(body) => match ServerMessage::new(body).encode_as(self.encoding.get()) {
                Frame::Binary(bytes) => Message::Binary(Bytes::from(bytes)),
                Frame::Text(text) => Message::Text(text.into()),
            },
            Outgoing::Event(dispatched) => match dispatched.encoded(self.encoding.get()) {
                EncodedFrame::Binary(bytes) => Message::Binary(bytes),
                EncodedFrame::Text(text) => Message::Text(text),
            },
            Outgoing::Pong(bytes) => Message::Pong(bytes),
        };
        self.frames.try_send(message).is_ok()
    }

    fn close(&mut self) {
        let _ = self.frames.try_send(Message::Close(None));
    }
}

/// Accepts the WebSocket: the response to return, the link to write with, and what the
/// desktop sends, decoded.
pub fn accept(
    request: &HttpRequest,
    body: actix_web::web::Payload,
) -> Result<(HttpResponse, WsLink, LocalBoxStream<'static, Incoming>), actix_web::Error> {
    // actix-ws's own session and body are dropped unused: this body replaces them.
    let (response, _session, messages) = actix_ws::handle(request, body)?;
    let (frames, receiver) = mpsc::channel(FRAMES_QUEUED_MAX);
    let body = OutgoingBody {
        frames: receiver,
        ready: VecDeque::new(),
        buffer: BytesMut::new(),
        codec: Codec::new(),
        closed: false,
    };
    let response = response.set_body(BoxBody::new(BodyStream::new(body))).map_into_boxed_body();
    let encoding = SharedEncoding::new(Cell::new(Encoding::Json));
    let link = WsLink { frames, encoding: encoding.clone() };
    let incoming = messages
        .map(move |message| match message {
            Ok(actix_ws::Message::Binary(bytes)) => {
                encoding.set(Encoding::Protobuf);
                Incoming::Frame(ClientMessage::from_binary(&bytes).map_err(|error| error.to_string()))
            }
            Ok(actix_ws::Message::Text(text)) => {
                encoding.set(Encoding::Json);
                Incoming::Frame(ClientMessage::from_text(&text).map_err(|error| error.to_string()))
            }
            Ok(actix_ws::Message::Ping(bytes)) => Incoming::Ping(bytes),
            Ok(actix_ws::Message::Close(_)) => Incoming::Closed,
            Ok(_) => Incoming::Alive,
            Err(_) => Incoming::Gone,
        })
        .boxed_local();
    Ok((response, link, incoming))
}

/// The response body: every frame queued so far, encoded into one chunk per poll.
struct OutgoingBody {
    frames: mpsc::Receiver<Message>,
    ready: VecDeque<Message>,
    buffer: BytesMut,
    codec: Codec,
    /// A close frame went out: the body ends once it is written.
    closed: bool,
}

impl Stream for OutgoingBody {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut ended = this.closed;
        while !ended {
            match this.frames.poll_recv(cx) {
                Poll::Ready(Some(message)) => this.ready.push_back(message),
                Poll::Ready(None) => {
                    ended = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        while let Some(message) = this.ready.pop_front() {
            let closing = matches!(message, Message::Close(_));
            if let Err(error) = this.codec.encode(message, &mut this.buffer) {
                return Poll::Ready(Some(Err(error.into())));
            }
            if closing {
                // Nothing goes after a close frame.
                this.closed = true;
                ended = true;
                this.ready.clear();
                break;
            }
        }
        if !this.buffer.is_empty() {
            return Poll::Ready(Some(Ok(this.buffer.split().freeze())));
        }
        if ended {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}
