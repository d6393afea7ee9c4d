//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the admin API.
//!
//! Entity schemas come from the domain types themselves (utoipa's `ToSchema` derive, behind the
//! domain's `openapi` feature), so the document cannot drift from what the API deserialises. The
//! paths are generated from the same [`KINDS`] table the router uses.

use actix_web::HttpResponse;
use serde_json::{json, Map, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::entities::KINDS;

/// The schema of `T` and of every type it refers to, by name.
fn schema_of<T: ToSchema + PartialSchema>() -> Vec<(String, Value)> {
    let mut schemas = Vec::<(String, RefOr<Schema>)>::new();
    T::schemas(&mut schemas);
    schemas.push((T::name().into_owned(), T::schema()));
    schemas.into_iter().map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or(Value::Null))).collect()
}

fn schemas() -> Map<String, Value> {
    use tandem_domain::*;
    let mut map = Map::new();
    for (name, schema) in [
        schema_of::<Skill>(),
        schema_of::<SkillSpec>(),
        schema_of::<Agent>(),
        schema_of::<AgentSpec>(),
        schema_of::<SkillLevel>(),
        schema_of::<Team>(),
        schema_of::<TeamSpec>(),
        schema_of::<Csq>(),
        schema_of::<CsqSpec>(),
        schema_of::<Channel>(),
        schema_of::<Selection>(),
        schema_of::<SkillRequirement>(),
        schema_of::<ReasonCode>(),
        schema_of::<ReasonCodeSpec>(),
        schema_of::<ReasonKind>(),
        schema_of::<SkillId>(),
        schema_of::<AgentId>(),
        schema_of::<TeamId>(),
        schema_of::<CsqId>(),
        schema_of::<ReasonCodeId>(),
        schema_of::<ContactSpec>(),
        schema_of::<Contact>(),
        schema_of::<AgentStatus>(),
        schema_of::<StatisticsSnapshot>(),
        schema_of::<crate::http::contacts::AgentAction>(),
        schema_of::<crate::http::contacts::ContactAction>(),
        schema_of::<UserView>(),
        schema_of::<UserId>(),
        schema_of::<Role>(),
        schema_of::<crate::http::users::UserInput>(),
        schema_of::<DialedNumber>(),
        schema_of::<DialedNumberSpec>(),
        schema_of::<DialedNumberId>(),
        schema_of::<Call>(),
        schema_of::<crate::http::principal::SessionRequest>(),
        schema_of::<crate::http::principal::SessionToken>(),
        schema_of::<InboundCallSpec>(),
        schema_of::<CallControls>(),
        schema_of::<crate::http::calls::CallAction>(),
        schema_of::<DeskSettings>(),
        schema_of::<TeamMessage>(),
        schema_of::<TeamMessageSpec>(),
        schema_of::<AgentChatMessage>(),
        schema_of::<WrapUpCategory>(),
        schema_of::<WrapUpCategorySpec>(),
        schema_of::<PredefinedResponse>(),
        schema_of::<PredefinedResponseSpec>(),
        schema_of::<EmailSignature>(),
        schema_of::<EmailSignatureSpec>(),
        schema_of::<MailServer>(),
        schema_of::<MailServerKind>(),
        schema_of::<MailEndpoint>(),
        schema_of::<MailSecurity>(),
        schema_of::<MailFolders>(),
        schema_of::<MailboxView>(),
        schema_of::<OauthView>(),
        schema_of::<tandem_domain::MailInboundView>(),
        schema_of::<tandem_domain::MailCursor>(),
        schema_of::<tandem_domain::MalformedEmail>(),
        schema_of::<tandem_domain::EmailReply>(),
        schema_of::<tandem_domain::AutoAcknowledgement>(),
        schema_of::<tandem_domain::EmailDraft>(),
        schema_of::<crate::http::mail::MailboxTest>(),
        schema_of::<crate::mail::check::CheckResult>(),
        schema_of::<tandem_domain::Envelope>(),
        schema_of::<crate::http::email::EmailView>(),
        schema_of::<crate::mail::read::RenderedBody>(),
        schema_of::<crate::mail::read::AttachmentInfo>(),
        schema_of::<tandem_domain::OutboxView>(),
        schema_of::<tandem_domain::OutboxState>(),
        schema_of::<crate::http::mail::MailboxBody>(),
        schema_of::<crate::http::mail::OauthBody>(),
        schema_of::<CsqTags>(),
        schema_of::<ChannelParameters>(),
        schema_of::<StatisticsSettings>(),
    ]
    .into_iter()
    .flatten()
    {
        map.insert(name, schema);
    }
    map.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": { "type": "string", "description": "Stable machine-readable code, e.g. email_csq_limit." },
                "message": { "type": "string", "description": "What went wrong and what to do, with the spec's text where it has one." }
            }
        }),
    );
    map
}

fn error_responses() -> Value {
    let error = json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } });
    json!({
        "400": { "description": "Malformed JSON or id.", "content": error },
        "401": { "description": "Missing or wrong bearer token.", "content": error },
        "404": { "description": "No such entity.", "content": error },
        "409": { "description": "Duplicate, in use, or over a limit.", "content": error },
        "422": { "description": "A field is invalid or names something that does not exist.", "content": error },
        "503": { "description": "No Raft leader (no quorum) within the write timeout.", "content": error }
    })
}

fn with_errors(mut responses: Value) -> Value {
    if let (Some(target), Value::Object(errors)) = (responses.as_object_mut(), error_responses()) {
        for (status, response) in errors {
            target.entry(status).or_insert(response);
        }
    }
    responses
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// The answer of an applied action: the events it produced, in order.
fn applied_response(description: &str) -> Value {
    with_errors(json!({ "200": { "description": description, "content": { "application/json": { "schema": {
        "type": "object", "required": ["events"],
        "properties": { "events": { "type": "array", "items": { "type": "object",
            "description": "One event, tagged by its kind, e.g. {\"ContactOffered\": {...}}." } },
            "contact": { "type": "integer", "description": "The contact an inject created." } } } } } } }))
}

/// The mail server and the email CSQs' mailboxes.
fn mail_paths(paths: &mut Map<String, Value>) {
    let id = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }]);
    let server = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": reference("MailServer") } } });
    let mailbox = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": reference("MailboxView") } } });
    paths.insert("/api/v1/mail-server".into(), json!({
        "get": { "summary": "The center's mail server (seeds-uccx.md §2.4).", "responses": with_errors(json!({ "200": server("The mail server.") })) },
        "put": { "summary": "Set the mail server: IMAP and SMTP host names (never IP addresses), ports, TLS or STARTTLS, folders.",
            "requestBody": json_body(reference("MailServer")), "responses": with_errors(json!({ "200": server("Set.") })) },
        "delete": { "summary": "Remove the mail server (refused while a mailbox uses it).",
            "responses": with_errors(json!({ "204": { "description": "Removed." } })) } }));
    paths.insert("/api/v1/mail-server/presets".into(), json!({
        "get": { "summary": "Presets for generic IMAP/SMTP, Exchange, Office 365 and Gmail: hosts, the spec's ports, default folders.",
            "responses": with_errors(json!({ "200": { "description": "One per kind.",
                "content": { "application/json": { "schema": { "type": "array", "items": reference("MailServer") } } } } })) } }));
    paths.insert("/api/v1/mailboxes".into(), json!({
        "get": { "summary": "Every email CSQ's mailbox, without credentials.",
            "responses": with_errors(json!({ "200": { "description": "The mailboxes.",
                "content": { "application/json": { "schema": { "type": "array", "items": reference("MailboxView") } } } } })) } }));
    paths.insert("/api/v1/csqs/{id}/mailbox".into(), json!({
        "get": { "summary": "An email CSQ's mailbox, without credentials.", "parameters": id.clone(),
            "responses": with_errors(json!({ "200": mailbox("The mailbox.") })) },
        "put": { "summary": "Set an email CSQ's mailbox: its address, a password or OAuth 2.0 (sealed with the cluster key, never returned; \
                             omitted: kept), folders, poll interval 60-3600 s (180), snapshot age 60-43200 min (120).",
            "parameters": id.clone(), "requestBody": json_body(reference("MailboxBody")), "responses": with_errors(json!({ "200": mailbox("Set.") })) },
        "delete": { "summary": "Remove an email CSQ's mailbox.", "parameters": id.clone(),
            "responses": with_errors(json!({ "204": { "description": "Removed." } })) } }));
    let id_again = id.clone();
    paths.insert("/api/v1/csqs/{id}/mailbox/ingest".into(), json!({
        "get": { "summary": "Where an email CSQ's ingest stands: its cursor (UIDVALIDITY, last UID), counts, and the last messages that could not be read.",
            "parameters": id,
            "responses": with_errors(json!({ "200": { "description": "The ingest.",
                "content": { "application/json": { "schema": reference("MailInboundView") } } } })) } }));
    paths.insert("/api/v1/csqs/{id}/mailbox/test".into(), json!({
        "post": { "summary": "Test Configuration: log in to IMAP, find the Inbox, Drafts, Outbox and Sent Items folders and whether they are writable, log in to SMTP; one result per check. Nothing on the server changes.",
            "parameters": id_again.clone(),
            "responses": with_errors(json!({ "200": { "description": "The checks (ok: all passed).",
                "content": { "application/json": { "schema": reference("MailboxTest") } } } })) } }));
    paths.insert("/api/v1/csqs/{id}/mailbox/outbox".into(), json!({
        "get": { "summary": "An email CSQ's replies in the outbox, oldest first: queued (with attempts and the last error), sent, or failed (and why); whether each was copied to Sent Items. Bodies are not returned.",
            "parameters": id_again,
            "responses": with_errors(json!({ "200": { "description": "The replies.",
                "content": { "application/json": { "schema": { "type": "array", "items": reference("OutboxView") } } } } })) } }));
}

/// Contacts, agent actions, statistics, batches and the WebSocket streams.
fn contact_paths(paths: &mut Map<String, Value>) {
    let id = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }]);
    let stream = |summary: &str| {
        json!({ "get": { "summary": summary,
            "parameters": [
                { "name": "after", "in": "query", "required": false, "schema": { "type": "integer" },
                  "description": "Deliver the events after this index (the last one seen); omitted: new events only." },
                { "name": "access_token", "in": "query", "required": false, "schema": { "type": "string" },
                  "description": "A user's bearer token, for clients that cannot set headers (never the administrator token)." }],
            "responses": with_errors(json!({ "101": { "description": "WebSocket: JSON frames {hello}, {index, event}, {gap}, {heartbeat}." } })) } })
    };
    paths.insert("/api/v1/contacts".into(), json!({
        "post": { "summary": "A contact arrives (a call, a chat request, an email) and is routed.",
            "requestBody": json_body(reference("ContactSpec")), "responses": applied_response("Injected (and offered, if an agent was free).") },
        "get": { "summary": "Open contacts in id order (all=true: closed ones still held too; csq, after, limit).",
            "responses": with_errors(json!({ "200": { "description": "The contacts.",
                "content": { "application/json": { "schema": { "type": "array", "items": reference("Contact") } } } } })) }
    }));
    paths.insert("/api/v1/contacts/{id}".into(), json!({ "get": { "summary": "One contact.", "parameters": id,
        "responses": with_errors(json!({ "200": { "description": "Found.", "content": { "application/json": { "schema": reference("Contact") } } } })) } }));
    paths.insert("/api/v1/contacts/{id}/email".into(), json!({ "get": {
        "summary": "An email contact as its desktop opens it: the envelope, the body read from the mailbox now (HTML sanitised; body_error when it could not be read), the attachments' names, and reply / reply-all drafts.",
        "parameters": id.clone(),
        "responses": with_errors(json!({ "200": { "description": "The email.", "content": { "application/json": { "schema": reference("EmailView") } } } })) } }));
    let attachment_parameters = json!([
        { "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } },
        { "name": "index", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 0 } }]);
    paths.insert("/api/v1/contacts/{id}/email/attachments/{index}".into(), json!({ "get": {
        "summary": "One attachment of an email contact, always as a download (application/octet-stream), under a file name without directories.",
        "parameters": attachment_parameters,
        "responses": with_errors(json!({ "200": { "description": "The attachment's bytes.",
            "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } } })) } }));
    paths.insert(
        "/api/v1/contacts/{id}/actions".into(),
        json!({ "post": {
        "summary": "What the customer's side did: left, or was active (chat).", "parameters": id,
        "requestBody": json_body(reference("ContactAction")), "responses": applied_response("Applied.") } }),
    );
    paths.insert("/api/v1/agents/{id}/actions".into(), json!({ "post": {
        "summary": "An agent's action: state changes, call control, chats, emails, wrap-up. Refusals carry the spec's code (spec_code) and text.",
        "parameters": id, "requestBody": json_body(reference("AgentAction")), "responses": applied_response("Applied.") } }));
    paths.insert(
        "/api/v1/agents/{id}/status".into(),
        json!({ "get": { "summary": "An agent's voice and digital state, call and contacts.",
        "parameters": id, "responses": with_errors(json!({ "200": { "description": "Found.",
            "content": { "application/json": { "schema": reference("AgentStatus") } } } })) } }),
    );
    paths.insert(
        "/api/v1/csqs/{id}/queue".into(),
        json!({ "get": { "summary": "The contacts waiting in a CSQ, in routing order.",
        "parameters": id, "responses": with_errors(json!({ "200": { "description": "Contact ids." } })) } }),
    );
    paths.insert(
        "/api/v1/statistics".into(),
        json!({ "get": { "summary": "Live statistics of every agent and CSQ, now.",
        "responses": with_errors(json!({ "200": { "description": "The snapshot.",
            "content": { "application/json": { "schema": reference("StatisticsSnapshot") } } } })) } }),
    );
    paths.insert("/api/v1/batch".into(), json!({ "post": {
        "summary": "Up to 1,000 independent items ({inject}, {agent, action} or {contact, action}) proposed together; one result each, in order.",
        "responses": with_errors(json!({ "200": { "description": "{results: [...]}, each the item's events or {error}." } })) } }));
    paths.insert("/api/v1/calls".into(), json!({
        "post": { "summary": "A call arrives from outside: at a dialed number (routed through its CSQ) or at an agent's extension.",
            "requestBody": json_body(reference("InboundCallSpec")),
            "responses": with_errors(json!({ "201": { "description": "{call, events}: the call begun and its events." } })) },
        "get": { "summary": "The calls on the switch, in id order (after, limit).",
            "responses": with_errors(json!({ "200": { "description": "The calls.",
                "content": { "application/json": { "schema": { "type": "array", "items": reference("Call") } } } } })) } }));
    paths.insert("/api/v1/calls/{id}".into(), json!({ "get": { "summary": "One call: its connections and data.", "parameters": id,
        "responses": with_errors(json!({ "200": { "description": "Found.", "content": { "application/json": { "schema": reference("Call") } } } })) } }));
    paths.insert(
        "/api/v1/calls/{id}/actions".into(),
        json!({ "post": {
        "summary": "What an outside party did: answered or hung up.", "parameters": id,
        "requestBody": json_body(reference("CallAction")), "responses": applied_response("Applied.") } }),
    );
    for (path, schema, summary) in super::settings::SETTINGS {
        paths.insert(
            format!("/api/v1/settings/{path}"),
            json!({
            "get": { "summary": format!("{summary}."),
                "responses": with_errors(json!({ "200": { "description": "The settings.",
                    "content": { "application/json": { "schema": reference(schema) } } } })) },
            "put": { "summary": "Replace them (the whole record).", "requestBody": json_body(reference(schema)),
                "responses": with_errors(json!({ "200": { "description": "The settings now.",
                    "content": { "application/json": { "schema": reference(schema) } } } })) } }),
        );
    }
    paths.insert("/api/v1/team-messages".into(), json!({
        "get": { "summary": "Active team messages.",
            "responses": with_errors(json!({ "200": { "description": "The messages.",
                "content": { "application/json": { "schema": { "type": "array", "items": reference("TeamMessage") } } } } })) },
        "post": { "summary": "Publish a team message for a supervisor (at most 100 publishes an hour, 1,600 active).",
            "requestBody": json_body(reference("TeamMessageSpec")),
            "responses": with_errors(json!({ "201": { "description": "Published.",
                "content": { "application/json": { "schema": reference("TeamMessage") } } } })) } }));
    paths.insert(
        "/api/v1/team-messages/{id}".into(),
        json!({ "delete": { "summary": "Delete a team message.", "parameters": id,
        "responses": with_errors(json!({ "204": { "description": "Deleted." } })) } }),
    );
    paths.insert(
        "/api/v1/agents/{id}/controls".into(),
        json!({ "get": {
        "summary": "The call-control buttons enabled for an agent now (the CTI protocol sends them with each event).",
        "parameters": id, "responses": with_errors(json!({ "200": { "description": "The buttons.",
            "content": { "application/json": { "schema": reference("CallControls") } } } })) } }),
    );
    paths.insert("/api/v1/events".into(), stream("Every applied event (supervisors), resumable by event index."));
    let mut agent_events = stream("One agent's events, resumable by event index.");
    if let Some(parameters) = agent_events["get"]["parameters"].as_array_mut() {
        parameters.insert(0, id[0].clone());
    }
    paths.insert("/api/v1/agents/{id}/events".into(), agent_events);
    paths.insert(
        "/api/v1/statistics/stream".into(),
        json!({ "get": {
        "summary": "Live statistics pushed every interval_ms (100 to 60,000; default 1,000).",
        "responses": with_errors(json!({ "101": { "description": "WebSocket: JSON frames {statistics}." } })) } }),
    );
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for (path, name, entity) in KINDS {
        let entity_ref = json!({ "$ref": format!("#/components/schemas/{entity}") });
        let spec_ref = json!({ "$ref": format!("#/components/schemas/{entity}Spec") });
        let body = json!({ "required": true, "content": { "application/json": { "schema": spec_ref } } });
        let id =
            json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }]);
        let key = json!([{ "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "A retried request with the same key applies once.", "schema": { "type": "string", "maxLength": 64 } }]);
        paths.insert(format!("/api/v1/{path}"), json!({
            "get": { "summary": format!("List every {name}, in id order."),
                "responses": with_errors(json!({ "200": { "description": "The list.",
                    "content": { "application/json": { "schema": { "type": "array", "items": entity_ref } } } } })) },
            "post": { "summary": format!("Create a {name}."), "parameters": key, "requestBody": body,
                "responses": with_errors(json!({ "201": { "description": "Created.",
                    "content": { "application/json": { "schema": entity_ref } } } })) }
        }));
        paths.insert(format!("/api/v1/{path}/{{id}}"), json!({
            "get": { "summary": format!("Get one {name}."), "parameters": id,
                "responses": with_errors(json!({ "200": { "description": "Found.", "content": { "application/json": { "schema": entity_ref } } } })) },
            "put": { "summary": format!("Replace a {name}'s fields."), "parameters": id, "requestBody": body,
                "responses": with_errors(json!({ "200": { "description": "Updated.", "content": { "application/json": { "schema": entity_ref } } } })) },
            "delete": { "summary": format!("Delete a {name}."), "parameters": id,
                "responses": with_errors(json!({ "204": { "description": "Deleted." } })) }
        }));
    }
    contact_paths(&mut paths);
    let id = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 } }]);
    let user = reference("UserView");
    paths.insert("/api/v1/users".into(), json!({
        "get": { "summary": "List every user (never the password hash).",
            "responses": with_errors(json!({ "200": { "description": "The list.",
                "content": { "application/json": { "schema": { "type": "array", "items": user } } } } })) },
        "post": { "summary": "Create a user; the node hashes the password (Argon2id).", "requestBody": json_body(reference("UserInput")),
            "responses": with_errors(json!({ "201": { "description": "Created.", "content": { "application/json": { "schema": user } } } })) } }));
    paths.insert("/api/v1/users/{id}".into(), json!({
        "get": { "summary": "Get one user.", "parameters": id,
            "responses": with_errors(json!({ "200": { "description": "Found.", "content": { "application/json": { "schema": user } } } })) },
        "put": { "summary": "Replace a user's fields; without password the current one stays.", "parameters": id,
            "requestBody": json_body(reference("UserInput")),
            "responses": with_errors(json!({ "200": { "description": "Updated.", "content": { "application/json": { "schema": user } } } })) },
        "delete": { "summary": "Delete a user.", "parameters": id, "responses": with_errors(json!({ "204": { "description": "Deleted." } })) } }));
    paths.insert("/api/v1/cti".into(), json!({ "get": {
        "summary": "Desktop sessions: the CTI protocol over WebSocket (docs/protocol.md). Log in with the first message.",
        "security": [],
        "responses": with_errors(json!({ "101": { "description": "WebSocket: protobuf (binary) or JSON (text) frames." } })) } }));
    paths.insert(
        "/api/v1/cluster/status".into(),
        json!({ "get": { "summary": "This node's view of the cluster.",
        "responses": with_errors(json!({ "200": { "description": "Status." } })) } }),
    );
    paths.insert(
        "/api/v1/cluster/nodes".into(),
        json!({ "post": { "summary": "Add a node as a learner.",
        "responses": with_errors(json!({ "202": { "description": "Added; it catches up." } })) } }),
    );
    paths.insert(
        "/api/v1/cluster/nodes/{id}/promote".into(),
        json!({ "post": { "summary": "Make a learner a voter.", "parameters": id,
        "responses": with_errors(json!({ "200": { "description": "Promoted." } })) } }),
    );
    paths.insert(
        "/api/v1/cluster/nodes/{id}".into(),
        json!({ "delete": { "summary": "Remove a node.", "parameters": id,
        "responses": with_errors(json!({ "204": { "description": "Removed." } })) } }),
    );
    paths.insert(
        "/api/v1/cluster/force-single".into(),
        json!({ "post": {
        "summary": "Operator act: make this node the only voter (two-node clusters after a loss).",
        "responses": with_errors(json!({ "200": { "description": "Done." } })) } }),
    );
    let session_keys = json!({ "type": "array", "items": { "type": "object", "additionalProperties": false,
        "required": ["id", "created_ms", "current"],
        "properties": { "id": { "type": "integer" }, "created_ms": { "type": "integer" }, "current": { "type": "boolean" } } } });
    paths.insert(
        "/api/v1/cluster/session-keys".into(),
        json!({
        "get": { "summary": "The keys users' tokens are signed with, oldest first (ids and dates only, never a key).",
            "responses": with_errors(json!({ "200": { "description": "The keys.",
                "content": { "application/json": { "schema": session_keys.clone() } } } })) },
        "post": { "summary": "Rotate: a new key signs new tokens. Earlier tokens keep working until they expire, unless retire_others ends them now.",
            "requestBody": { "required": false, "content": { "application/json": { "schema": {
                "type": "object", "additionalProperties": false,
                "properties": { "retire_others": { "type": "boolean", "default": false } } } } } },
            "responses": with_errors(json!({ "201": { "description": "Rotated; the keys now held.",
                "content": { "application/json": { "schema": session_keys } } } })) } }),
    );
    paths.insert(
        "/api/v1/sessions".into(),
        json!({ "post": {
        "summary": "Log in with a password: a bearer token for REST and streams (the one a desktop resumes with).",
        "security": [], "requestBody": json_body(reference("SessionRequest")),
        "responses": with_errors(json!({ "201": { "description": "The token.",
            "content": { "application/json": { "schema": reference("SessionToken") } } } })) },
        "delete": {
        "summary": "Log out everywhere: every token issued to the caller's user until now (REST and desktop resume tokens) stops working.",
        "responses": with_errors(json!({ "204": { "description": "Logged out." } })) } }),
    );
    mail_paths(&mut paths);
    document_roles(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Tandem admin API", "version": env!("CARGO_PKG_VERSION") },
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        }
    })
}

/// Who may call an operation beyond administrators, by path and method; every other operation
/// is administrators' (the administrator token, or a user with the administrator role). The
/// domain decides the rest when the request applies (decision 0024).
const USER_OPERATIONS: [(&str, &str, &str); 12] = [
    ("/api/v1/agents/{id}/actions", "post", "agent (for itself), supervisor (for itself and its teams' agents)"),
    ("/api/v1/agents/{id}/status", "get", "agent (itself), supervisor (itself and its teams' agents)"),
    ("/api/v1/contacts", "get", "agent (the contacts it holds), supervisor (also its teams' agents')"),
    ("/api/v1/contacts/{id}", "get", "agent (a contact it holds), supervisor (also its teams' agents')"),
    ("/api/v1/contacts/{id}/email", "get", "agent (an email it holds), supervisor (also its teams' agents')"),
    (
        "/api/v1/contacts/{id}/email/attachments/{index}",
        "get",
        "agent (an email it holds), supervisor (also its teams' agents')",
    ),
    ("/api/v1/events", "get", "agent and supervisor: the events their desktop would get"),
    ("/api/v1/agents/{id}/events", "get", "agent (its own), supervisor (itself and its teams' agents)"),
    ("/api/v1/team-messages", "post", "supervisor (as the sender, to the teams it supervises)"),
    ("/api/v1/team-messages/{id}", "delete", "supervisor (the messages it sent)"),
    ("/api/v1/sessions", "post", "anyone with a user's password"),
    ("/api/v1/sessions", "delete", "any user (itself)"),
];

/// Writes each operation's roles into its description and `x-roles`.
fn document_roles(paths: &mut Map<String, Value>) {
    for (path, operations) in paths.iter_mut() {
        let Some(operations) = operations.as_object_mut() else { continue };
        for (method, operation) in operations.iter_mut() {
            if !operation.is_object() {
                continue; // path-level "parameters", not an operation
            }
            let opened = USER_OPERATIONS.iter().find(|(p, m, _)| p == path && m == method).map(|(_, _, who)| *who);
            let roles = match (path.as_str(), opened) {
                ("/api/v1/sessions", Some(who)) => who.to_owned(),
                ("/api/v1/cti", _) => "any user; the login is the first message".to_owned(),
                (_, Some(who)) => format!("administrator; {who}"),
                (_, None) => "administrator".to_owned(),
            };
            let description = match operation["description"].as_str() {
                Some(text) => format!("{text} Roles: {roles}."),
                None => format!("Roles: {roles}."),
            };
            operation["description"] = json!(description);
            operation["x-roles"] = json!(roles);
        }
    }
}

pub async fn handler() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The methods the document lists for the path a request named, upper case, or `None` if no
/// documented path matches (a `{...}` template segment matches any one segment). The router
/// registers each method of a path as its own route, so this is how a wrong method is told
/// from a wrong path.
pub fn methods_of(path: &str) -> Option<Vec<String>> {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(document);
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let matches = |template: &str| {
        let parts: Vec<&str> = template.split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(part, segment)| part.starts_with('{') || part == segment)
    };
    let (_, operations) = document["paths"].as_object()?.iter().find(|(template, _)| matches(template))?;
    Some(operations.as_object()?.keys().map(|method| method.to_ascii_uppercase()).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_referenced_schema_exists() {
        let document = super::document();
        let text = document.to_string();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for reference in text.split("#/components/schemas/").skip(1) {
            let name: String = reference.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(schemas.contains_key(&name), "missing schema {name}");
        }
        assert!(document["paths"]["/api/v1/agents/{id}"]["put"].is_object());
        assert!(document["paths"]["/api/v1/agents/{id}/actions"]["post"].is_object());
        assert!(schemas.contains_key("AgentAction"), "the actions are documented");
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                assert!(operation["x-roles"].is_string(), "{method} {path} documents its roles");
            }
        }
        assert_eq!(document["paths"]["/api/v1/skills"]["post"]["x-roles"], "administrator");
        for (path, method, _) in super::USER_OPERATIONS {
            assert!(document["paths"][path][method].is_object(), "{method} {path} exists");
            assert_ne!(document["paths"][path][method]["x-roles"], "administrator", "{method} {path}");
        }
    }
}
