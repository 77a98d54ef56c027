"""Console: find technicians, review profiles, decide role changes and skills, assign regions,
record certifications, keep the catalogues, read the audit trail."""

from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.errors import NotFound
from backend.extensions import db
from backend.models import (
    AgreementTemplate,
    Role,
    RoleChangeRequest,
    Skill,
    Technician,
    TechnicianSkill,
    WorkforceAudit,
)
from backend.pagination import paginate
from backend.tracking.presence import online_technician_ids
from backend.workforce import records, views
from backend.workforce import service as wf
from backend.workforce.audit import audit_query
from backend.workforce.eligibility import search_query
from backend.workforce.profile import skill_profile
from backend.workforce.schemas import (
    AgreementOut,
    AuditPage,
    AuditQuery,
    CatalogueOut,
    CertificationIn,
    CertificationOut,
    ConsoleRoleChangeIn,
    DecisionIn,
    RegionsIn,
    RoleChangeOut,
    RoleChangePage,
    RoleChangeQuery,
    RoleIn,
    RoleOut,
    SkillCatalogIn,
    SkillCatalogOut,
    SkillDecisionIn,
    SkillProfileOut,
    SkillRecordOut,
    TechnicianDetail,
    TechnicianPage,
    TechnicianQuery,
    TemplateIn,
)
from backend.workforce.scoping import managed_technician_or_404

SECURITY = [{"BearerAuth": []}]
TAGS = ["console: technicians"]


def _technician_or_404(technician_id: int) -> Technician:
    # Technicians are platform-wide; staff (the only callers here) may see every one.
    technician = db.session.get(Technician, technician_id)
    if technician is None:
        raise NotFound("technician")
    return technician


def _managed_or_404(technician_id: int) -> Technician:
    # Writes: a dispatcher acts only on the technicians of the regions they manage.
    return managed_technician_or_404(current_actor(), technician_id)


def _actor() -> int:
    return current_actor().user_id


@console.get("/technicians")
@requires("technicians:read")
@console.input(TechnicianQuery, location="query", arg_name="query")
@console.output(TechnicianPage)
@console.doc(summary="Find technicians by region, role, skill, state and online status", tags=TAGS, security=SECURITY)
def list_technicians(query):
    """Find technicians by region, role, skill and level, profile state and online status."""
    items, cursor = paginate(search_query(query), Technician.id, limit=query["limit"], cursor=query["cursor"])
    online = online_technician_ids()
    return {"items": [views.technician_out(t, online) for t in items], "next_cursor": cursor}


@console.get("/technicians/<int:technician_id>")
@requires("technicians:read")
@console.output(TechnicianDetail)
@console.doc(summary="One technician, with skills, certifications and agreement", tags=TAGS, security=SECURITY)
def get_technician(technician_id):
    """One technician in full (sensitive numbers masked)."""
    return views.technician_detail(_technician_or_404(technician_id))


@console.post("/technicians/<int:technician_id>/review")
@requires("technicians:approve")
@console.input(DecisionIn, arg_name="body")
@console.output(TechnicianDetail)
@console.doc(summary="Approve or reject a submitted profile (platform admin)", tags=TAGS, security=SECURITY)
def review_technician(technician_id, body):
    """Approve or reject a submitted profile; approval lets the technician take work."""
    technician = _technician_or_404(technician_id)
    wf.review_profile(wf.profile_of(technician.id), body["decision"] == "approve", body["note"], _actor())
    db.session.commit()
    return views.technician_detail(technician)


@console.put("/technicians/<int:technician_id>/regions")
@requires("technicians:manage")
@console.input(RegionsIn, arg_name="body")
@console.output(TechnicianDetail)
@console.doc(summary="Set the regions a technician serves", tags=TAGS, security=SECURITY)
def assign_regions(technician_id, body):
    """Set the technician's active regions (open requests for named regions are granted)."""
    technician = _managed_or_404(technician_id)
    records.assign_regions(technician.id, body["region_ids"], current_actor())
    db.session.commit()
    return views.technician_detail(technician)


@console.get("/technicians/<int:technician_id>/skill-profile")
@requires("technicians:read")
@console.output(SkillProfileOut)
@console.doc(summary="Radar-chart skill profile (0-100 per dimension)", tags=TAGS, security=SECURITY)
def technician_skill_profile(technician_id):
    """Radar-chart dimensions, 0-100 each, with how each is derived."""
    return skill_profile(_technician_or_404(technician_id).id)


@console.post("/technicians/<int:technician_id>/certifications")
@requires("technicians:manage")
@console.input(CertificationIn, arg_name="body")
@console.output(CertificationOut, status_code=201)
@console.doc(summary="Record an exam, experience check, equipment or certificate", tags=TAGS, security=SECURITY)
def record_certification(technician_id, body):
    """Record an exam result, experience check, equipment or certificate (staff-verified)."""
    technician = _managed_or_404(technician_id)
    cert = records.add_certification(technician.id, body, _actor(), verified=True)
    db.session.commit()
    return cert


@console.post("/technician-skills/<int:skill_record_id>/decision")
@requires("technicians:approve")
@console.input(SkillDecisionIn, arg_name="body")
@console.output(SkillRecordOut)
@console.doc(summary="Verify or reject a skill record (platform admin)", tags=TAGS, security=SECURITY)
def decide_skill(skill_record_id, body):
    """Verify or reject a pending skill record."""
    record = db.session.get(TechnicianSkill, skill_record_id)
    if record is None:
        raise NotFound("skill record")
    wf.decide_skill(record, body["decision"] == "verify", body["note"], _actor())
    db.session.commit()
    return record


@console.get("/role-change-requests")
@requires("technicians:read")
@console.input(RoleChangeQuery, location="query", arg_name="query")
@console.output(RoleChangePage)
@console.doc(summary="Role-change requests", tags=TAGS, security=SECURITY)
def list_role_changes(query):
    """Role-change requests, filtered by state or technician."""
    stmt = select(RoleChangeRequest)
    for key in ("state", "technician_id"):
        if key in query:
            stmt = stmt.where(getattr(RoleChangeRequest, key) == query[key])
    items, cursor = paginate(stmt, RoleChangeRequest.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@console.post("/role-change-requests")
@requires("technicians:manage")
@console.input(ConsoleRoleChangeIn, arg_name="body")
@console.output(RoleChangeOut, status_code=201)
@console.doc(summary="Request a technician's role change", tags=TAGS, security=SECURITY)
def request_role_change(body):
    """Open a role-change request on a technician's behalf; a platform admin decides."""
    technician = _managed_or_404(body["technician_id"])
    request = wf.request_role_change(wf.profile_of(technician.id), body["role"], body["reason"], _actor())
    db.session.commit()
    return request


@console.post("/role-change-requests/<int:request_id>/decision")
@requires("technicians:approve")
@console.input(DecisionIn, arg_name="body")
@console.output(RoleChangeOut)
@console.doc(summary="Approve or reject a role change (platform admin)", tags=TAGS, security=SECURITY)
def decide_role_change(request_id, body):
    """Approve (the role changes now) or reject a pending role-change request."""
    request = db.session.get(RoleChangeRequest, request_id)
    if request is None:
        raise NotFound("role-change request")
    wf.decide_role_change(request, body["decision"] == "approve", body["note"], _actor())
    db.session.commit()
    return request


@console.get("/workforce-audit")
@requires("technicians:read")
@console.input(AuditQuery, location="query", arg_name="query")
@console.output(AuditPage)
@console.doc(summary="The workforce audit trail", tags=TAGS, security=SECURITY)
def list_audit(query):
    """Who did what to which technician record, when, before → after; filter and page."""
    items, cursor = paginate(audit_query(query), WorkforceAudit.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@console.get("/workforce-catalogue")
@requires("technicians:read")
@console.output(CatalogueOut)
@console.doc(summary="The role and skill catalogues", tags=TAGS, security=SECURITY)
def catalogue():
    """The role and skill catalogues."""
    return {
        "roles": db.session.scalars(select(Role).order_by(Role.id)),
        "skills": db.session.scalars(select(Skill).order_by(Skill.id)),
    }


@console.post("/roles")
@requires("platform:manage")
@console.input(RoleIn, arg_name="body")
@console.output(RoleOut, status_code=201)
@console.doc(summary="Add a role to the catalogue (platform admin)", tags=TAGS, security=SECURITY)
def create_role(body):
    """Add a role to the catalogue."""
    role = wf.create_role(body, _actor())
    db.session.commit()
    return role


@console.post("/skills")
@requires("platform:manage")
@console.input(SkillCatalogIn, arg_name="body")
@console.output(SkillCatalogOut, status_code=201)
@console.doc(summary="Add a skill to the catalogue (platform admin)", tags=TAGS, security=SECURITY)
def create_skill(body):
    """Add a skill to the catalogue."""
    skill = wf.create_skill(body, _actor())
    db.session.commit()
    return skill


@console.post("/agreement-templates")
@requires("platform:manage")
@console.input(TemplateIn, arg_name="body")
@console.output(AgreementOut, status_code=201)
@console.doc(summary="Publish a new agreement version (platform admin)", tags=TAGS, security=SECURITY)
def publish_agreement(body):
    """Publish a new version of an agreement; technicians sign it before their next approval."""
    template = wf.publish_template(body["code"], body["title"], body["body"])
    db.session.commit()
    return template


@console.get("/agreement-templates")
@requires("technicians:read")
@console.output(AgreementOut(many=True))
@console.doc(summary="Agreement versions", tags=TAGS, security=SECURITY)
def list_agreements():
    """Every agreement version, newest first."""
    return db.session.scalars(
        select(AgreementTemplate).order_by(AgreementTemplate.code, AgreementTemplate.version.desc())
    )
