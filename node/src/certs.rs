//! Certificates for node-to-node mutual TLS and for the API's generated certificate.
//!
//! rcgen does the X.509 work. `tandem certs` writes a cluster CA and one certificate per node;
//! each node certificate names `localhost`, 127.0.0.1, the node's own host and its node id (as
//! the DNS name `node-<id>.cluster.tandem.internal`, which both ends of a node-to-node
//! connection check), and is signed by the CA, which every node trusts for both client and
//! server authentication. Beside them goes `cluster.key`, the key secrets in the replicated
//! state are sealed with (`secrets`), created once. `tandem certs rotate` reissues node
//! certificates under the same CA;
//! running nodes read the new files on their next connection, so no restart is needed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CertsArgs {
    #[command(subcommand)]
    pub action: Option<CertsAction>,
    /// Directory to write ca.crt, ca.key and node-<id>.crt/.key into (created if missing).
    #[arg(long, required = true)]
    pub dir: Option<PathBuf>,
    /// A node as `<id>` or `<id>:<host>` (repeatable); its certificate also names the host.
    #[arg(long = "node", required = true)]
    pub nodes: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum CertsAction {
    /// Reissue node certificates under the existing cluster CA, replacing the files in place
    /// and keeping every name the current ones carry (delete a file first to drop a name);
    /// running nodes pick them up on their next connection (pooled connections end within 30 s
    /// of going idle). Copy each node's new pair to its machine if the nodes do not share `dir`.
    Rotate(IssueArgs),
}

#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// Directory to write ca.crt, ca.key and node-<id>.crt/.key into (created if missing).
    #[arg(long)]
    pub dir: PathBuf,
    /// A node as `<id>` or `<id>:<host>` (repeatable); its certificate also names the host.
    #[arg(long = "node", required = true)]
    pub nodes: Vec<String>,
}

pub fn run(args: CertsArgs) -> anyhow::Result<()> {
    match (args.action, args.dir) {
        (Some(CertsAction::Rotate(issue)), _) => generate(issue, Ca::MustExist),
        (None, Some(dir)) => generate(IssueArgs { dir, nodes: args.nodes }, Ca::CreateIfMissing),
        (None, None) => anyhow::bail!("--dir is required"),
    }
}

/// Whether a missing CA may be created: never when rotating, since certificates from a new CA
/// would not be trusted by the nodes running on the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ca {
    CreateIfMissing,
    MustExist,
}

fn generate(args: IssueArgs, ca: Ca) -> anyhow::Result<()> {
    if ca == Ca::MustExist && !args.dir.join("ca.key").exists() {
        anyhow::bail!(
            "{} holds no ca.key: rotation reissues node certificates under the cluster's existing CA; point --dir at \
             the directory `tandem certs` wrote it to",
            args.dir.display()
        );
    }
    std::fs::create_dir_all(&args.dir).with_context(|| format!("creating {}", args.dir.display()))?;
    let (ca_params, ca_key) = load_or_create_ca(&args.dir)?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let mut nodes = Vec::new();
    for node in &args.nodes {
        let (id, host) = match node.split_once(':') {
            Some((id, host)) => (id, Some(host)),
            None => (node.as_str(), None),
        };
        let id: u64 = id.parse().with_context(|| format!("node id in '{node}' must be a number"))?;
        nodes.push((id, host));
    }
    for (id, host) in nodes {
        let key = KeyPair::generate()?;
        let mut params = leaf_params(&format!("tandem-node-{id}"), host)?;
        params.subject_alt_names.push(SanType::DnsName(tandem_raft::https::node_name(id).try_into()?));
        if ca == Ca::MustExist {
            for name in carried_over(&args.dir.join(format!("node-{id}.crt")), &params.subject_alt_names)? {
                println!("node {id}: keeps {} from its current certificate", san_text(&name));
                params.subject_alt_names.push(name);
            }
        }
        let cert = params.signed_by(&key, &ca_cert, &ca_key)?;
        // Key first, then certificate, each replaced whole: a node reading between the two
        // sees a pair that does not match, keeps its last good one and reads again later.
        write_private(&args.dir.join(format!("node-{id}.key")), &key.serialize_pem())?;
        write_atomic(&args.dir.join(format!("node-{id}.crt")), &cert.pem(), 0o644)?;
        let verb = if ca == Ca::MustExist { "reissued" } else { "written" };
        println!("node {id}: {}/node-{id}.crt {verb}, valid for a year", args.dir.display());
    }
    println!("CA: {}/ca.crt", args.dir.display());
    let cluster_key = args.dir.join(crate::secrets::CLUSTER_KEY_FILE);
    if !cluster_key.exists() {
        crate::secrets::write_new_key(&cluster_key)?;
    }
    println!("cluster key: {} (every node needs this same file)", cluster_key.display());
    Ok(())
}

/// The names a node's current certificate carries that its reissue would otherwise lose (a
/// host given when it was first issued): a rotation that dropped one would cut the node off
/// from peers that call it by that host. Removing a name takes deleting the old file first.
fn carried_over(current: &Path, names: &[SanType]) -> anyhow::Result<Vec<SanType>> {
    let pem = match std::fs::read_to_string(current) {
        Ok(pem) => pem,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("reading {}", current.display())),
    };
    let params = CertificateParams::from_ca_cert_pem(&pem)
        .with_context(|| format!("reading the names in {} (delete it to issue afresh)", current.display()))?;
    Ok(params.subject_alt_names.into_iter().filter(|name| !names.contains(name)).collect())
}

fn san_text(name: &SanType) -> String {
    match name {
        SanType::DnsName(name) => name.to_string(),
        SanType::IpAddress(address) => address.to_string(),
        other => format!("{other:?}"),
    }
}

/// The CA is created once and reused, so certificates for nodes added later chain to it.
fn load_or_create_ca(dir: &Path) -> anyhow::Result<(CertificateParams, KeyPair)> {
    let key_path = dir.join("ca.key");
    let key = if key_path.exists() {
        let pem = std::fs::read_to_string(&key_path)?;
        KeyPair::from_pem(&pem).with_context(|| format!("reading {}", key_path.display()))?
    } else {
        let key = KeyPair::generate()?;
        write_private(&key_path, &key.serialize_pem())?;
        key
    };
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "Tandem cluster CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    valid_for(&mut params, CA_LIFETIME);
    let cert = params.clone().self_signed(&key)?;
    let ca_path = dir.join("ca.crt");
    if !ca_path.exists() {
        std::fs::write(&ca_path, cert.pem())?;
    }
    Ok((params, key))
}

fn leaf_params(common_name: &str, host: Option<&str>) -> anyhow::Result<CertificateParams> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if let Some(host) = host {
        if !names.iter().any(|n| n == host) {
            names.push(host.to_string());
        }
    }
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.subject_alt_names = names
        .iter()
        .map(|name| match name.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => Ok(SanType::DnsName(name.clone().try_into()?)),
        })
        .collect::<Result<Vec<_>, rcgen::Error>>()?;
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.extended_key_usages =
        vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    valid_for(&mut params, LEAF_LIFETIME);
    Ok(params)
}

/// How long a node's or the API's certificate is valid: a year, so a stolen key stops working
/// and renewal is a routine the operator practises (`tandem certs` again, then a rolling
/// restart), not a surprise.
const LEAF_LIFETIME: time::Duration = time::Duration::days(365);

/// How long the cluster CA is valid.
const CA_LIFETIME: time::Duration = time::Duration::days(10 * 365);

/// Valid from an hour ago (clocks that disagree a little) for `lifetime`. rcgen's default is
/// until the year 4096.
fn valid_for(params: &mut CertificateParams, lifetime: time::Duration) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + lifetime;
}

/// A self-signed certificate for the API listener, created on first start.
pub fn ensure_api_certificate(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let cert_path = dir.join("api.crt");
    let key_path = dir.join("api.key");
    if cert_path.exists() && key_path.exists() {
        return Ok((cert_path, key_path));
    }
    std::fs::create_dir_all(dir)?;
    let key = KeyPair::generate()?;
    let cert = leaf_params("tandem-api", None)?.self_signed(&key)?;
    write_private(&key_path, &key.serialize_pem())?;
    std::fs::write(&cert_path, cert.pem())?;
    Ok((cert_path, key_path))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    write_atomic(path, contents, 0o600)
}

/// Writes `contents` to a file beside `path` and renames it over `path`, so a reader sees the
/// old file or the new one, never half of one.
fn write_atomic(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    use std::io::Write;
    // A temporary name of this file's own (`node-1.key.partial`), created afresh: a key is never
    // written into a file that another file's write left behind with looser permissions.
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    match std::fs::remove_file(&partial) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("removing {}", partial.display()))
        }
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&partial).with_context(|| format!("creating {}", partial.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, path).with_context(|| format!("replacing {}", path.display()))?;
    // The rename itself is durable only once the directory is.
    if let Some(directory) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::File::open(directory).and_then(|directory| directory.sync_all())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hardening hole 6 (lifetime): certificates were valid until the year 4096.
    #[test]
    fn hole_6_node_certificates_are_valid_for_a_year_and_the_ca_for_ten() {
        let now = time::OffsetDateTime::now_utc();
        let leaf = leaf_params("tandem-node-1", Some("a.example.net")).expect("params");
        let days = (leaf.not_after - now).whole_days();
        assert!((364..=365).contains(&days), "{days} days");
        assert!(leaf.not_before < now && now - leaf.not_before <= time::Duration::hours(1));
        let dir = tempfile::tempdir().expect("a directory");
        let (ca, _) = load_or_create_ca(dir.path()).expect("a CA");
        assert!((3_649..=3_650).contains(&(ca.not_after - now).whole_days()));
    }

    fn names_in(path: &Path) -> Vec<String> {
        let pem = std::fs::read_to_string(path).expect("a certificate");
        let params = CertificateParams::from_ca_cert_pem(&pem).expect("parses");
        params.subject_alt_names.iter().map(san_text).collect()
    }

    /// Security review: `tandem certs rotate --node 1` reissued node 1 without the host it was
    /// first issued for, and peers calling it by that host would have refused it. The names it
    /// carried are kept; a key file written over a looser one stays private.
    #[test]
    fn rotation_keeps_every_name_the_current_certificate_carries() {
        let dir = tempfile::tempdir().expect("a directory");
        let issue = |nodes: &[&str]| IssueArgs {
            dir: dir.path().to_path_buf(),
            nodes: nodes.iter().map(|node| node.to_string()).collect(),
        };
        generate(issue(&["1:a.example.net", "2"]), Ca::CreateIfMissing).expect("issued");
        let first = names_in(&dir.path().join("node-1.crt"));
        assert!(first.contains(&"a.example.net".to_string()), "{first:?}");

        std::fs::write(dir.path().join("node-1.key.partial"), "left over").expect("a stale temporary");
        generate(issue(&["1", "2:b.example.net"]), Ca::MustExist).expect("rotated");
        let sorted = |mut names: Vec<String>| {
            names.sort();
            names
        };
        assert_eq!(sorted(names_in(&dir.path().join("node-1.crt"))), sorted(first), "the same names");
        let node_2 = names_in(&dir.path().join("node-2.crt"));
        assert!(node_2.contains(&"b.example.net".to_string()) && node_2.contains(&tandem_raft::https::node_name(2)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("node-1.key")).expect("the key").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!dir.path().join("node-1.key.partial").exists());
    }
}
