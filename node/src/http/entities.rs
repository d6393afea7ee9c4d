//! REST CRUD for the configuration entities under `/api/v1`.
//!
//! One generic set of handlers serves every entity kind through the [`Kind`] trait, so list, get,
//! create, update and delete behave identically everywhere: reads come from this node's applied
//! state, writes go through Raft, and a rejection carries the domain's code and message.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Scope};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tandem_domain::{
    Agent, AgentCommand, AgentEvent, AgentId, AgentSpec, Center, Command, ConfigCommand, ConfigEvent, Csq, CsqId,
    CsqSpec, DialedNumber, DialedNumberId, DialedNumberSpec, EmailCommand, EmailEvent, EmailSignature,
    EmailSignatureId, EmailSignatureSpec, Event, Outcome, PredefinedResponse, PredefinedResponseId,
    PredefinedResponseSpec, QueueCommand, QueueEvent, ReasonCode, ReasonCodeId, ReasonCodeSpec, Skill, SkillId,
    SkillSpec, Team, TeamId, TeamSpec, VoiceCommand, VoiceEvent, WrapUpCategory, WrapUpCategoryId, WrapUpCategorySpec,
};

use super::{guard, submit, ApiError, AppState};

/// One kind of configuration entity.
pub trait Kind: 'static {
    /// The collection's path segment, e.g. `skills`.
    const PATH: &'static str;
    /// Singular, for messages.
    const NAME: &'static str;
    /// The entity's schema in the OpenAPI document (its spec's is this with `Spec` after it).
    const SCHEMA: &'static str;
    type Spec: DeserializeOwned + 'static;
    type Entity: Serialize + Clone;
    fn list(center: &Center) -> Vec<Self::Entity>;
    fn get(center: &Center, id: u64) -> Option<Self::Entity>;
    fn create(spec: Self::Spec) -> Command;
    fn update(id: u64, spec: Self::Spec) -> Command;
    fn delete(id: u64) -> Command;
    /// The entity's new value, if `event` created or updated one of this kind.
    fn changed(event: &Event) -> Option<Self::Entity>;
}

macro_rules! kind {
    ($kind:ident, $group:ident($commands:ident, $events:ident), $path:literal, $name:literal, $entity:ty, $spec:ty, $id:ident,
     $list:ident, $get:ident, $create:ident, $update:ident, $delete:ident, $created:ident, $updated:ident) => {
        pub struct $kind;
        impl Kind for $kind {
            const PATH: &'static str = $path;
            const NAME: &'static str = $name;
            const SCHEMA: &'static str = stringify!($entity);
            type Spec = $spec;
            type Entity = $entity;
            fn list(center: &Center) -> Vec<$entity> {
                center.$list().cloned().collect()
            }
            fn get(center: &Center, id: u64) -> Option<$entity> {
                center.$get($id(id)).cloned()
            }
            fn create(spec: $spec) -> Command {
                Command::$group($commands::$create(spec))
            }
            fn update(id: u64, spec: $spec) -> Command {
                Command::$group($commands::$update { id: $id(id), spec })
            }
            fn delete(id: u64) -> Command {
                Command::$group($commands::$delete { id: $id(id) })
            }
            fn changed(event: &Event) -> Option<$entity> {
                match event {
                    Event::$group($events::$created(entity) | $events::$updated(entity)) => Some(entity.clone()),
                    _ => None,
                }
            }
        }
    };
}

kind!(
    Skills,
    Config(ConfigCommand, ConfigEvent),
    "skills",
    "skill",
    Skill,
    SkillSpec,
    SkillId,
    skills,
    skill,
    CreateSkill,
    UpdateSkill,
    DeleteSkill,
    SkillCreated,
    SkillUpdated
);
kind!(
    Agents,
    Agent(AgentCommand, AgentEvent),
    "agents",
    "agent",
    Agent,
    AgentSpec,
    AgentId,
    agents,
    agent,
    CreateAgent,
    UpdateAgent,
    DeleteAgent,
    AgentCreated,
    AgentUpdated
);
kind!(
    Teams,
    Config(ConfigCommand, ConfigEvent),
    "teams",
    "team",
    Team,
    TeamSpec,
    TeamId,
    teams,
    team,
    CreateTeam,
    UpdateTeam,
    DeleteTeam,
    TeamCreated,
    TeamUpdated
);
kind!(
    Csqs,
    Queue(QueueCommand, QueueEvent),
    "csqs",
    "CSQ",
    Csq,
    CsqSpec,
    CsqId,
    csqs,
    csq,
    CreateCsq,
    UpdateCsq,
    DeleteCsq,
    CsqCreated,
    CsqUpdated
);
kind!(
    ReasonCodes,
    Config(ConfigCommand, ConfigEvent),
    "reason-codes",
    "reason code",
    ReasonCode,
    ReasonCodeSpec,
    ReasonCodeId,
    reason_codes,
    reason_code,
    CreateReasonCode,
    UpdateReasonCode,
    DeleteReasonCode,
    ReasonCodeCreated,
    ReasonCodeUpdated
);
kind!(
    DialedNumbers,
    Voice(VoiceCommand, VoiceEvent),
    "dialed-numbers",
    "dialed number",
    DialedNumber,
    DialedNumberSpec,
    DialedNumberId,
    dialed_numbers,
    dialed_number,
    CreateDialedNumber,
    UpdateDialedNumber,
    DeleteDialedNumber,
    DialedNumberCreated,
    DialedNumberUpdated
);

kind!(
    WrapUpCategories,
    Config(ConfigCommand, ConfigEvent),
    "wrap-up-categories",
    "wrap-up category",
    WrapUpCategory,
    WrapUpCategorySpec,
    WrapUpCategoryId,
    wrap_up_categories,
    wrap_up_category,
    CreateWrapUpCategory,
    UpdateWrapUpCategory,
    DeleteWrapUpCategory,
    WrapUpCategoryCreated,
    WrapUpCategoryUpdated
);
kind!(
    PredefinedResponses,
    Config(ConfigCommand, ConfigEvent),
    "predefined-responses",
    "predefined response",
    PredefinedResponse,
    PredefinedResponseSpec,
    PredefinedResponseId,
    predefined_responses,
    predefined_response,
    CreatePredefinedResponse,
    UpdatePredefinedResponse,
    DeletePredefinedResponse,
    PredefinedResponseCreated,
    PredefinedResponseUpdated
);
kind!(
    EmailSignatures,
    Email(EmailCommand, EmailEvent),
    "email-signatures",
    "email signature",
    EmailSignature,
    EmailSignatureSpec,
    EmailSignatureId,
    email_signatures,
    email_signature,
    CreateEmailSignature,
    UpdateEmailSignature,
    DeleteEmailSignature,
    EmailSignatureCreated,
    EmailSignatureUpdated
);

/// Every kind's path segment, name and schema, for the OpenAPI document.
pub const KINDS: [(&str, &str, &str); 9] = [
    (Skills::PATH, Skills::NAME, Skills::SCHEMA),
    (Agents::PATH, Agents::NAME, Agents::SCHEMA),
    (Teams::PATH, Teams::NAME, Teams::SCHEMA),
    (Csqs::PATH, Csqs::NAME, Csqs::SCHEMA),
    (ReasonCodes::PATH, ReasonCodes::NAME, ReasonCodes::SCHEMA),
    (DialedNumbers::PATH, DialedNumbers::NAME, DialedNumbers::SCHEMA),
    (WrapUpCategories::PATH, WrapUpCategories::NAME, WrapUpCategories::SCHEMA),
    (PredefinedResponses::PATH, PredefinedResponses::NAME, PredefinedResponses::SCHEMA),
    (EmailSignatures::PATH, EmailSignatures::NAME, EmailSignatures::SCHEMA),
];

async fn list<K: Kind>(state: web::Data<AppState>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let items = K::list(&state.replica.state().read().center);
    Ok(HttpResponse::Ok().json(items))
}

async fn get<K: Kind>(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let id = id.into_inner();
    match K::get(&state.replica.state().read().center, id) {
        Some(entity) => Ok(HttpResponse::Ok().json(entity)),
        None => {
            Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("There is no {} with id {id}.", K::NAME)))
        }
    }
}

/// Turns an outcome into a response: the changed entity, or the rejection.
fn respond<K: Kind>(outcome: Outcome, status: StatusCode) -> Result<HttpResponse, ApiError> {
    match outcome {
        Outcome::Rejected(rejection) => Err(rejection.into()),
        Outcome::Applied(applied) => {
            if status == StatusCode::NO_CONTENT {
                return Ok(HttpResponse::NoContent().finish());
            }
            match applied.events.iter().find_map(K::changed) {
                Some(entity) => Ok(HttpResponse::build(status).json(entity)),
                None => Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("The {} change applied but produced no {} event.", K::NAME, K::NAME),
                )),
            }
        }
    }
}

async fn create<K: Kind>(
    state: web::Data<AppState>,
    request: HttpRequest,
    spec: web::Json<K::Spec>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let outcome = submit(&state, &request, K::create(spec.into_inner())).await?;
    respond::<K>(outcome, StatusCode::CREATED)
}

async fn update<K: Kind>(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
    spec: web::Json<K::Spec>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let outcome = submit(&state, &request, K::update(id.into_inner(), spec.into_inner())).await?;
    respond::<K>(outcome, StatusCode::OK)
}

async fn delete<K: Kind>(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    guard(&state, &request)?;
    let outcome = submit(&state, &request, K::delete(id.into_inner())).await?;
    respond::<K>(outcome, StatusCode::NO_CONTENT)
}

fn routes<K: Kind>(scope: Scope) -> Scope {
    scope
        .route(&format!("/{}", K::PATH), web::get().to(list::<K>))
        .route(&format!("/{}", K::PATH), web::post().to(create::<K>))
        .route(&format!("/{}/{{id}}", K::PATH), web::get().to(get::<K>))
        .route(&format!("/{}/{{id}}", K::PATH), web::put().to(update::<K>))
        .route(&format!("/{}/{{id}}", K::PATH), web::delete().to(delete::<K>))
}

/// Adds every entity kind's routes to the `/api/v1` scope.
pub fn routes_all(scope: Scope) -> Scope {
    let scope = routes::<Skills>(scope);
    let scope = routes::<Agents>(scope);
    let scope = routes::<Teams>(scope);
    let scope = routes::<Csqs>(scope);
    let scope = routes::<ReasonCodes>(scope);
    let scope = routes::<DialedNumbers>(scope);
    let scope = routes::<WrapUpCategories>(scope);
    let scope = routes::<PredefinedResponses>(scope);
    routes::<EmailSignatures>(scope)
}
