//! A real Postfix for the email tests, beside a [`Dovecot`]: an SMTP port where customers'
//! mail arrives (no authentication, local domains only) and a submission port (STARTTLS
//! required, SASL through Dovecot's auth socket) where the node sends replies. Both deliver
//! every local address into Dovecot's maildirs with Postfix's `virtual` agent, so a message
//! sent on either port shows up over IMAP. An instance of its own: configuration, queue and log
//! under a temporary directory, on loopback ports, nothing shared with a system Postfix.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::dovecot::Dovecot;

pub struct Postfix {
    dir: tempfile::TempDir,
    /// Where customers' mail arrives (plain SMTP, as between mail servers on a LAN).
    pub smtp_port: u16,
    /// Submission with STARTTLS and authentication: what a mailbox's `smtp` endpoint names.
    pub submission_port: u16,
    /// Submission over TLS from the first byte (port 465's protocol).
    pub smtps_port: u16,
}

/// The services a Postfix instance runs, none chrooted (the paths are the test's).
const SERVICES: &str = "\
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
";

impl Postfix {
    /// Starts Postfix delivering `addresses` (each must be a Dovecot user) into `dovecot`;
    /// returns once both ports listen.
    pub fn start(dovecot: &Dovecot, addresses: &[&str]) -> Postfix {
        let dir = tempfile::Builder::new().prefix("tandem-postfix-").tempdir().expect("a directory");
        let root = dir.path();
        for sub in ["conf", "queue", "data"] {
            std::fs::create_dir_all(root.join(sub)).expect("directories");
        }
        let postfix_user = |flag: &str| -> u32 {
            let output = Command::new("id").args([flag, "postfix"]).output().expect("running id");
            String::from_utf8_lossy(&output.stdout).trim().parse().expect("the postfix user (scripts/setup-debian)")
        };
        let _ = std::os::unix::fs::chown(root.join("data"), Some(postfix_user("-u")), Some(postfix_user("-g")));
        let domains: std::collections::BTreeSet<&str> =
            addresses.iter().filter_map(|address| address.split_once('@').map(|(_, domain)| domain)).collect();
        let map: String = addresses.iter().map(|address| format!("{address} {address}/Maildir/\n")).collect();
        std::fs::write(root.join("conf/vmailbox"), map).expect("mailbox map");
        let (smtp_port, submission_port, smtps_port) = (crate::free_port(), crate::free_port(), crate::free_port());
        let (uid, gid) = dovecot.owner();
        let (certificate, key) = dovecot.server_pair();
        let r = root.display();
        // in_flow_delay 0: cleanup never pauses a sender to let deliveries catch up (a tuning
        // for bulk mail that adds up to a second per message to a test's latency).
        let main = format!(
            "compatibility_level = 3.6\nqueue_directory = {r}/queue\ndata_directory = {r}/data\n\
             mail_owner = postfix\nsetgid_group = postdrop\nmyhostname = localhost\nmydomain = localhost\n\
             myorigin = localhost\nmydestination =\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n\
             smtp_host_lookup = native\nalias_maps =\nalias_database =\nlocal_recipient_maps =\n\
             virtual_mailbox_domains = {domains}\nvirtual_mailbox_base = {home}\n\
             virtual_mailbox_maps = texthash:{r}/conf/vmailbox\nvirtual_uid_maps = static:{uid}\n\
             virtual_gid_maps = static:{gid}\nvirtual_minimum_uid = 1\n\
             smtpd_tls_cert_file = {certificate}\nsmtpd_tls_key_file = {key}\nsmtpd_tls_security_level = may\n\
             smtpd_sasl_type = dovecot\nsmtpd_sasl_path = {auth}\n\
             smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination\n\
             maillog_file_prefixes = {r}\nmaillog_file = {r}/postfix.log\n\
             in_flow_delay = 0\n",
            domains = domains.into_iter().collect::<Vec<_>>().join(" "),
            home = dovecot.home().display(),
            certificate = certificate.display(),
            key = key.display(),
            auth = dovecot.auth_socket().display(),
        );
        std::fs::write(root.join("conf/main.cf"), main).expect("main.cf");
        let submission = "-o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes \
                          -o smtpd_client_restrictions=permit_sasl_authenticated,reject";
        let master = format!(
            "127.0.0.1:{smtp_port} inet n - n - - smtpd\n\
             127.0.0.1:{submission_port} inet n - n - - smtpd -o smtpd_tls_security_level=encrypt {submission}\n\
             127.0.0.1:{smtps_port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes {submission}\n{SERVICES}"
        );
        std::fs::write(root.join("conf/master.cf"), master).expect("master.cf");
        let postfix = Postfix { dir, smtp_port, submission_port, smtps_port };
        let status = postfix.control("start");
        assert!(status, "postfix did not start: {}", postfix.log());
        for port in [smtp_port, submission_port, smtps_port] {
            crate::wait_until(Duration::from_secs(10), "postfix listens", || {
                std::net::TcpStream::connect(("127.0.0.1", port)).map(|_| ()).map_err(|error| error.to_string())
            });
        }
        postfix
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("conf")
    }

    fn control(&self, action: &str) -> bool {
        Command::new("postfix")
            .arg("-c")
            .arg(self.config_dir())
            .arg(action)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// A customer sends `raw` from `from` to `to` over plain SMTP, as a mail server would relay
    /// it; returns the server's final reply.
    pub fn send(&self, from: &str, to: &[&str], raw: &str) -> String {
        use std::io::{BufRead, BufReader, Write};
        let stream = std::net::TcpStream::connect(("127.0.0.1", self.smtp_port)).expect("connect to postfix");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut writer = stream;
        let mut reply = || {
            let mut text = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("a reply line");
                text.push_str(&line);
                if line.len() < 4 || line.as_bytes()[3] != b'-' {
                    return text;
                }
            }
        };
        let expect = |reply: String, code: &str| {
            assert!(reply.starts_with(code), "expected {code}, got {reply:?}");
            reply
        };
        expect(reply(), "220");
        let mut say = |line: String, code: &str, reply: &mut dyn FnMut() -> String| {
            writer.write_all(line.as_bytes()).expect("write");
            expect(reply(), code)
        };
        say("EHLO customer.example\r\n".into(), "250", &mut reply);
        say(format!("MAIL FROM:<{from}>\r\n"), "250", &mut reply);
        for recipient in to {
            say(format!("RCPT TO:<{recipient}>\r\n"), "250", &mut reply);
        }
        say("DATA\r\n".into(), "354", &mut reply);
        let mut body = raw.replace("\r\n", "\n").replace('\n', "\r\n");
        body = body
            .split("\r\n")
            .map(|line| if line.starts_with('.') { format!(".{line}") } else { line.into() })
            .collect::<Vec<_>>()
            .join("\r\n");
        let done = say(format!("{body}\r\n.\r\n"), "250", &mut reply);
        let _ = say("QUIT\r\n".into(), "221", &mut reply);
        done
    }

    /// Postfix's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix.log")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        self.control("stop");
    }
}
