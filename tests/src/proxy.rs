//! A TCP proxy the tests control, to make a half-open link: while "black-holed" it keeps both
//! sockets open but forwards nothing, as a pulled cable or a dead router does. Neither end sees
//! the socket break; only heartbeats can notice.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How long a forwarding thread blocks on a read before it looks at the switches again.
const POLL: Duration = Duration::from_millis(20);

/// A loopback proxy to one target; stops when dropped.
pub struct Proxy {
    port: u16,
    black_hole: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards every connection to `target`.
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        let port = listener.local_addr().expect("the proxy's port").port();
        listener.set_nonblocking(true).expect("a non-blocking listener");
        let black_hole = Arc::new(AtomicBool::new(false));
        let stopped = Arc::new(AtomicBool::new(false));
        let (hole, stop) = (black_hole.clone(), stopped.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let Ok(server) = TcpStream::connect(target) else { continue };
                        for (from, to) in [(&client, &server), (&server, &client)] {
                            let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else { continue };
                            let (hole, stop) = (hole.clone(), stop.clone());
                            thread::spawn(move || pump(from, to, &hole, &stop));
                        }
                    }
                    Err(error) if error.kind() == ErrorKind::WouldBlock => thread::sleep(POLL),
                    Err(_) => return,
                }
            }
        });
        Proxy { port, black_hole, stopped }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// From now on every byte in either direction is dropped; the sockets stay open.
    pub fn black_hole(&self) {
        self.black_hole.store(true, Ordering::Relaxed);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, black_hole: &AtomicBool, stopped: &AtomicBool) {
    let _ = from.set_read_timeout(Some(POLL));
    let mut buffer = [0u8; 16 * 1024];
    while !stopped.load(Ordering::Relaxed) {
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                if !black_hole.load(Ordering::Relaxed) && to.write_all(&buffer[..read]).is_err() {
                    break;
                }
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    // Black-holed links never close: keep the socket open until the proxy stops.
    while black_hole.load(Ordering::Relaxed) && !stopped.load(Ordering::Relaxed) {
        thread::sleep(POLL);
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}
