//! A real Dovecot for the email tests: IMAPS (with IDLE) and IMAP with STARTTLS on loopback
//! ports, a certificate for `localhost` made for the run, users from a passwd-file and
//! maildirs under a temporary directory. Mail arrives as a file dropped into a maildir, the
//! way a local delivery agent writes it. `scripts/setup-debian` installs Dovecot without
//! starting the system's own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub struct Dovecot {
    dir: tempfile::TempDir,
    pub imaps_port: u16,
    pub imap_port: u16,
    uid: u32,
    gid: u32,
    delivered: std::cell::Cell<u32>,
}

fn id(flag: &str) -> u32 {
    let output = Command::new("id").args([flag, "dovecot"]).output().expect("running id");
    String::from_utf8_lossy(&output.stdout).trim().parse().expect("the dovecot user (scripts/setup-debian installs it)")
}

impl Dovecot {
    /// Starts Dovecot with `users` as (address, password); returns once it listens.
    pub fn start(users: &[(&str, &str)]) -> Dovecot {
        let dir = tempfile::Builder::new().prefix("tandem-dovecot-").tempdir().expect("a directory");
        let root = dir.path().to_path_buf();
        let root = root.as_path();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(sub)).expect("directories");
        }
        // A CA for the run and a certificate for `localhost` it signs (webpki accepts no
        // self-signed end certificate as its own anchor).
        let openssl = |args: &[&str]| {
            let output = Command::new("openssl").args(args).current_dir(root).output().expect("running openssl");
            assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=Tandem test mail CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ]);
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "imap.key",
            "-out",
            "imap.csr",
        ]);
        std::fs::write(
            root.join("imap.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("extensions");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "imap.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "imap.ext",
            "-out",
            "imap.crt",
        ]);
        let passwd: String = users.iter().map(|(user, password)| format!("{user}:{{PLAIN}}{password}\n")).collect();
        std::fs::write(root.join("users"), passwd).expect("users");
        let (imaps_port, imap_port) = (crate::free_port(), crate::free_port());
        let (uid, gid) = (id("-u"), id("-g"));
        let r = root.display();
        let config = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\nprotocols = imap\n\
             listen = 127.0.0.1\nssl = required\nssl_cert = <{r}/imap.crt\nssl_key = <{r}/imap.key\n\
             auth_mechanisms = plain login\nfirst_valid_uid = 1\nmail_location = maildir:{r}/home/%u/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {imap_port}\n  }}\n  \
             inet_listener imaps {{\n    port = {imaps_port}\n    ssl = yes\n  }}\n}}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/home/%u\n}}\n\
             service auth {{\n  unix_listener auth-postfix {{\n    mode = 0666\n  }}\n}}\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n  \
             mailbox Sent {{\n    auto = subscribe\n    special_use = \\Sent\n  }}\n  \
             mailbox Drafts {{\n    auto = subscribe\n    special_use = \\Drafts\n  }}\n  \
             mailbox Outbox {{\n    auto = subscribe\n  }}\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), config).expect("config");
        let dovecot = Dovecot { dir, imaps_port, imap_port, uid, gid, delivered: std::cell::Cell::new(0) };
        for (user, _) in users {
            for sub in ["", "/cur", "/new", "/tmp"] {
                let path = dovecot.maildir(user).join(sub.trim_start_matches('/'));
                std::fs::create_dir_all(&path).expect("maildir");
            }
            dovecot.chown_tree(&dovecot.dir.path().join("home"));
        }
        dovecot.launch();
        dovecot
    }

    /// Starts the daemon on the configuration written at start; returns once it listens.
    fn launch(&self) {
        let root = self.dir.path();
        // `status`, not `output`: the daemon keeps inherited pipes open, and reading them would
        // wait for it to exit. Its errors go to its log.
        let started = Command::new("dovecot")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("running dovecot (scripts/setup-debian installs it)");
        assert!(started.success(), "dovecot did not start: {}", self.log());
        let port = self.imaps_port;
        crate::wait_until(Duration::from_secs(10), "dovecot listens", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).map(|_| ()).map_err(|error| error.to_string())
        });
    }

    fn doveadm_stop(&self) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .arg("stop")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }

    /// Makes every node of `cluster` trust this Dovecot's CA from its next start
    /// (`mail_ca_file`; the harness strips inherited `TANDEM_*` variables).
    pub fn trusted_by(&self, cluster: &mut crate::Cluster) {
        let path = self.certificate().display().to_string();
        for id in cluster.ids() {
            cluster.set_env(id, "TANDEM_MAIL_CA_FILE", &path);
        }
    }

    /// The embedded single node, trusting this Dovecot's CA; started and healthy.
    pub fn single_node(&self) -> crate::Cluster {
        let mut cluster = crate::Cluster::embedded_single();
        self.trusted_by(&mut cluster);
        cluster.kill(1);
        cluster.start(1);
        cluster.wait_healthy(1);
        cluster
    }

    /// Stops the daemon (the mail stays); [`Self::restart`] brings it back.
    pub fn stop(&self) {
        self.doveadm_stop();
        let port = self.imaps_port;
        crate::wait_until(Duration::from_secs(10), "dovecot stops listening", || {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(_) => Err("still listening".to_owned()),
                Err(_) => Ok(()),
            }
        });
    }

    /// Starts the daemon again after [`Self::stop`].
    pub fn restart(&self) {
        self.launch();
    }

    /// The CA clients must trust (`mail_ca_file`).
    pub fn certificate(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// The `localhost` certificate and key the servers present (signed by [`Self::certificate`]).
    pub fn server_pair(&self) -> (PathBuf, PathBuf) {
        (self.dir.path().join("imap.crt"), self.dir.path().join("imap.key"))
    }

    /// Where the users' maildirs are: `<home>/<address>/Maildir`.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Dovecot's SASL socket, for Postfix's submission service.
    pub fn auth_socket(&self) -> PathBuf {
        self.dir.path().join("run").join("auth-postfix")
    }

    /// The user and group mail files belong to.
    pub fn owner(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }

    /// The messages in `user`'s `folder` (`""`: the inbox) as raw text, oldest file first.
    pub fn messages(&self, user: &str, folder: &str) -> Vec<String> {
        let base = if folder.is_empty() { self.maildir(user) } else { self.maildir(user).join(format!(".{folder}")) };
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(base.join(sub)).ok())
            .flat_map(|entries| entries.flatten().map(|entry| entry.path()))
            .collect();
        files.sort();
        files.iter().filter_map(|path| std::fs::read_to_string(path).ok()).collect()
    }

    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.path().join("home").join(user).join("Maildir")
    }

    fn chown_tree(&self, path: &Path) {
        let _ = std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid));
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                self.chown_tree(&entry.path());
            }
        }
    }

    /// Delivers `raw` into `user`'s inbox as a delivery agent does (tmp/, then renamed into new/).
    pub fn deliver(&self, user: &str, raw: &str) {
        let n = self.delivered.get() + 1;
        self.delivered.set(n);
        let name = format!("{}.M{n}P{}.tandem-test", 1_700_000_000 + n, std::process::id());
        let temporary = self.maildir(user).join("tmp").join(&name);
        std::fs::write(&temporary, raw.replace('\n', "\r\n")).expect("writing the message");
        let _ = std::os::unix::fs::chown(&temporary, Some(self.uid), Some(self.gid));
        std::fs::rename(&temporary, self.maildir(user).join("new").join(&name)).expect("delivering");
    }

    /// Dovecot's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.doveadm_stop();
    }
}

/// An email CSQ served by a new skill "Support", and its mailbox `address` on `dovecot` (IMAPS)
/// sending through `smtp_port` on localhost (STARTTLS): the mail server set, the password
/// given. Returns (skill, CSQ).
pub fn mailbox_csq(
    admin: &crate::ApiClient,
    dovecot: &Dovecot,
    smtp_port: u16,
    address: &str,
    password: &str,
) -> (u64, u64) {
    use serde_json::json;
    let skill = crate::created_id(admin, "/api/v1/skills", json!({"name": "Support"}));
    let csq = crate::created_id(
        admin,
        "/api/v1/csqs",
        json!({"name": "Support email", "channel": "email", "selection": "longest_available",
               "skills": [{"skill": skill, "min_competence": 1}]}),
    );
    let put = |path: &str, body: serde_json::Value| {
        let reply = admin.send(crate::Method::PUT, path, &crate::Body::Json(body), None).expect("a reply");
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    };
    put(
        "/api/v1/mail-server",
        json!({"kind": "generic", "imap": {"host": "localhost", "port": dovecot.imaps_port, "security": "tls"},
               "smtp": {"host": "localhost", "port": smtp_port, "security": "starttls"}}),
    );
    put(&format!("/api/v1/csqs/{csq}/mailbox"), json!({"address": address, "password": password}));
    (skill, csq)
}
