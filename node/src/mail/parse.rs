//! A raw message read over IMAP, turned into what the domain ingests (decision 0028).
//!
//! mail-parser does the MIME work; this only picks the headers routing needs and fits them to
//! the domain's limits (truncating text, keeping the first recipients and the last references),
//! so a message the domain would refuse is never proposed. A message without a sender address
//! is malformed: it cannot be answered. Pure: the fuzz target `mime` runs it on any bytes.

use mail_parser::{Address, HeaderValue, MessageParser};
use tandem_domain::{
    CsqId, Envelope, InboundEmail, CUSTOMER_ADDRESS_LENGTH_MAX, CUSTOMER_NAME_LENGTH_MAX, EMAIL_SUBJECT_LENGTH_MAX,
    MAIL_INBOUND_ATTACHMENTS_BYTES_MAX, MAIL_MESSAGE_ID_LENGTH_MAX, MAIL_RECIPIENTS_MAX, MAIL_REFERENCES_MAX,
};

/// The hex SHA-256 of `raw`.
pub fn content_hash(raw: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(raw).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What the domain ingests for message `uid` of `mailbox`, whatever `raw` holds.
pub fn inbound(csq: CsqId, mailbox: &str, uid_validity: u32, uid: u32, raw: &[u8]) -> InboundEmail {
    let (envelope, error) = match envelope(raw) {
        Ok(envelope) => (Some(envelope), None),
        Err(error) => (None, Some(error)),
    };
    InboundEmail {
        csq,
        mailbox: mailbox.to_owned(),
        uid_validity,
        uid,
        content_hash: content_hash(raw),
        size: raw.len() as u64,
        envelope,
        error,
    }
}

/// The envelope of `raw`, or why there is none.
pub fn envelope(raw: &[u8]) -> Result<Envelope, String> {
    let message = MessageParser::default().parse(raw).ok_or("the message has no headers MIME can read")?;
    let attachments: u64 = message.attachments().map(|part| part.len() as u64).sum();
    if attachments > MAIL_INBOUND_ATTACHMENTS_BYTES_MAX {
        return Err(format!(
            "the email's attachments total {:.1} MB; customer emails may carry at most {} MB",
            attachments as f64 / 1_048_576.0,
            MAIL_INBOUND_ATTACHMENTS_BYTES_MAX / 1_048_576
        ));
    }
    let from = message.from().and_then(Address::first);
    let Some(from_address) = from.and_then(|from| from.address()).and_then(fit_address) else {
        return Err("the message has no From address to answer".into());
    };
    let addresses = |list: Option<&Address<'_>>| -> Vec<String> {
        list.map(|list| list.iter().filter_map(|addr| addr.address().and_then(fit_address)).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .take(MAIL_RECIPIENTS_MAX as usize)
            .collect()
    };
    let ids = |value: &HeaderValue<'_>| -> Vec<String> {
        let all: Vec<String> = match value {
            HeaderValue::Text(text) => vec![text.to_string()],
            HeaderValue::TextList(list) => list.iter().map(|text| text.to_string()).collect(),
            _ => Vec::new(),
        };
        all.into_iter().filter_map(|id| fit(&id, MAIL_MESSAGE_ID_LENGTH_MAX)).collect()
    };
    let references = ids(message.references());
    let skip = references.len().saturating_sub(MAIL_REFERENCES_MAX as usize);
    let automatic = message.header_raw("Auto-Submitted").is_some_and(|value| !value.trim().eq_ignore_ascii_case("no"))
        || message.header_raw("List-Id").is_some()
        || message
            .header_raw("Precedence")
            .is_some_and(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "bulk" | "list" | "junk"))
        || message.return_path().as_text().is_some_and(|path| path.trim().trim_matches(['<', '>']).is_empty());
    Ok(Envelope {
        message_id: message.message_id().and_then(|id| fit(id, MAIL_MESSAGE_ID_LENGTH_MAX)),
        from: Some(from_address),
        from_name: from.and_then(|from| from.name()).and_then(|name| fit(name, CUSTOMER_NAME_LENGTH_MAX)),
        reply_to: message.reply_to().and_then(Address::first).and_then(|addr| addr.address()).and_then(fit_address),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        subject: message.subject().and_then(|subject| fit(subject, EMAIL_SUBJECT_LENGTH_MAX)),
        in_reply_to: ids(message.in_reply_to()).into_iter().next(),
        references: references.into_iter().skip(skip).collect(),
        date_ms: message
            .date()
            .and_then(|date| u64::try_from(date.to_timestamp()).ok())
            .map(|s| s.saturating_mul(1_000)),
        automatic,
        attachment_count: u32::try_from(message.attachment_count()).unwrap_or(u32::MAX),
    })
}

/// `text` without control characters, trimmed, cut to `max` characters; `None` if empty.
fn fit(text: &str, max: u32) -> Option<String> {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(max as usize)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// An address that fits whole (a cut address would reach someone else): else none.
fn fit_address(address: &str) -> Option<String> {
    let address = address.trim();
    let fits = !address.is_empty()
        && address.chars().count() <= CUSTOMER_ADDRESS_LENGTH_MAX as usize
        && address.contains('@')
        && !address.chars().any(|c| c.is_control() || c.is_whitespace());
    fits.then(|| address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &[u8] = b"From: Ann Smith <ann@customer.example>\r\nTo: support@example.com, b@example.com\r\n\
Subject: Re: Order 7\r\nMessage-ID: <m2@customer.example>\r\nIn-Reply-To: <m1@example.com>\r\n\
References: <m0@customer.example> <m1@example.com>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nWhere is it?\r\n";

    #[test]
    fn the_headers_routing_needs_are_read() {
        let envelope = envelope(PLAIN).expect("parses");
        assert_eq!(envelope.from.as_deref(), Some("ann@customer.example"));
        assert_eq!(envelope.from_name.as_deref(), Some("Ann Smith"));
        assert_eq!(envelope.to, ["support@example.com", "b@example.com"]);
        assert_eq!(envelope.subject.as_deref(), Some("Re: Order 7"));
        assert_eq!(envelope.message_id.as_deref(), Some("m2@customer.example"));
        assert_eq!(envelope.in_reply_to.as_deref(), Some("m1@example.com"));
        assert_eq!(envelope.references, ["m0@customer.example", "m1@example.com"]);
        assert_eq!(envelope.date_ms, Some(1_700_000_000_000));
        assert!(!envelope.automatic);
    }

    /// Bad input: no sender, garbage, a subject past the limit, a recipient flood, an
    /// auto-reply. Each gives an error or a fitted envelope, never a panic.
    #[test]
    fn bad_messages_are_errors_or_fitted() {
        assert!(envelope(b"Subject: no sender\r\n\r\nbody").is_err());
        assert!(envelope(b"").is_err());
        let email = inbound(CsqId(1), "support@example.com", 7, 1, b"\xff\xfe\x00garbage");
        assert!(email.envelope.is_none() && email.error.is_some());
        assert_eq!(email.content_hash.len(), 64);
        let long = format!("From: a@b.example\r\nSubject: {}\r\n\r\n", "x".repeat(1_000));
        assert_eq!(envelope(long.as_bytes()).expect("parses").subject.map(|s| s.len()), Some(255));
        let many: Vec<String> = (0..10_000).map(|n| format!("r{n}@example.com")).collect();
        let flood = format!("From: a@b.example\r\nTo: {}\r\n\r\n", many.join(", "));
        assert_eq!(envelope(flood.as_bytes()).expect("parses").to.len(), 20);
        let auto = b"From: a@b.example\r\nAuto-Submitted: auto-replied\r\n\r\nOut of office";
        assert!(envelope(auto).expect("parses").automatic);
        // 30 MB with its 21 MiB attachment: stored with an error, not routed.
        let mut big = String::from(
            "From: a@b.example\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\n\
             Content-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        );
        let line = format!("{}\r\n", "QUFB".repeat(19));
        big.push_str(&line.repeat(21 * 1024 * 1024 / 57 + 1));
        big.push_str("--b--\r\n");
        let error = envelope(big.as_bytes()).expect_err("too large");
        assert_eq!(error, "the email's attachments total 21.0 MB; customer emails may carry at most 20 MB");
        let injected = b"From: a@b.example\r\nSubject: hi\r\n\tBcc: x@evil.example\r\n\r\n";
        let subject = envelope(injected).expect("parses").subject.unwrap_or_default();
        assert!(!subject.contains('\r') && !subject.contains('\n'), "{subject:?}");
    }
}
