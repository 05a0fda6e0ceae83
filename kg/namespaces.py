"""RDF namespaces of kg. GENERATED from ontology/kg.ttl by scripts/gen_namespaces.py."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

SCHEMA = Namespace("https://schema.org/")
ID = Namespace("https://w3id.org/kg/id/")
TOPIC = Namespace("https://w3id.org/kg/topic/")


class KG(DefinedNamespace):
    """The kg ontology (closed: an undefined term raises AttributeError)."""

    _fail = True
    _NS = Namespace("https://w3id.org/kg/ont#")

    Addressee: URIRef
    Agreed: URIRef
    Agreement: URIRef
    AgreementKind: URIRef
    AgreementStatus: URIRef
    Airport: URIRef
    Any: URIRef
    ArmedGroup: URIRef
    Arrangement: URIRef
    Asserter: URIRef
    Assessed: URIRef
    Attack: URIRef
    Attributed: URIRef
    Bank: URIRef
    Beneficiary: URIRef
    Building: URIRef
    Celebration: URIRef
    Citation: URIRef
    City: URIRef
    Claim: URIRef
    Company: URIRef
    Consulate: URIRef
    Contract: URIRef
    Dam: URIRef
    DeFactoAuthority: URIRef
    Denied: URIRef
    Dialogue: URIRef
    DiplomaticMission: URIRef
    Discussed: URIRef
    Embassy: URIRef
    Engagement: URIRef
    EpistemicStatus: URIRef
    Event: URIRef
    EventKind: URIRef
    EventKinds: URIRef
    Factories: URIRef
    FreeEconomicZone: URIRef
    Government: URIRef
    Group: URIRef
    Guarantor: URIRef
    Handover: URIRef
    Hedged: URIRef
    Highway: URIRef
    Hospital: URIRef
    Implemented: URIRef
    Inference: URIRef
    Inferred: URIRef
    Invitation: URIRef
    JointBody: URIRef
    Killing: URIRef
    Meeting: URIRef
    Message: URIRef
    MilitantGroup: URIRef
    Ministry: URIRef
    NewsArticle: URIRef
    Offer: URIRef
    Offered: URIRef
    Organization: URIRef
    Participation: URIRef
    Party: URIRef
    PartyRole: URIRef
    Period: URIRef
    Person: URIRef
    Pipeline: URIRef
    Place: URIRef
    PlaceKind: URIRef
    Pledge: URIRef
    Pledged: URIRef
    Pledger: URIRef
    PolicyArticle: URIRef
    Port: URIRef
    PortTransit: URIRef
    Post: URIRef
    Predicted: URIRef
    Project: URIRef
    ProjectKind: URIRef
    Proposal: URIRef
    Proposed: URIRef
    Proposer: URIRef
    Province: URIRef
    PublicBody: URIRef
    Reaffirmed: URIRef
    Refinery: URIRef
    Region: URIRef
    Report: URIRef
    Reported: URIRef
    ReportedStatistic: URIRef
    River: URIRef
    Role: URIRef
    Roles: URIRef
    Rule: URIRef
    SecurityDeal: URIRef
    SecurityOperation: URIRef
    Signatory: URIRef
    Signed: URIRef
    Signing: URIRef
    Source: URIRef
    SourceAuthor: URIRef
    SourceKind: URIRef
    State: URIRef
    Stated: URIRef
    StatusChange: URIRef
    Takeover: URIRef
    Tenure: URIRef
    Training: URIRef
    Treaty: URIRef
    UnnamedSources: URIRef
    Visit: URIRef
    Wetland: URIRef
    about: URIRef
    actor: URIRef
    affects: URIRef
    agent: URIRef
    agreementKind: URIRef
    assertedBy: URIRef
    atEvent: URIRef
    attestedOn: URIRef
    basedIn: URIRef
    builtBy: URIRef
    citationOrder: URIRef
    citedSource: URIRef
    claimObject: URIRef
    concernedAbout: URIRef
    concerns: URIRef
    countsAsMeeting: URIRef
    date: URIRef
    during: URIRef
    earliest: URIRef
    end: URIRef
    epistemicStatus: URIRef
    epistemicStatuses: URIRef
    establishes: URIRef
    evidence: URIRef
    file: URIRef
    governs: URIRef
    heading: URIRef
    hostileTo: URIRef
    hosts: URIRef
    inferredBound: URIRef
    inferredParticipation: URIRef
    latest: URIRef
    line: URIRef
    livedIn: URIRef
    locatedIn: URIRef
    madeBy: URIRef
    measure: URIRef
    missionOf: URIRef
    mistreated: URIRef
    notAfter: URIRef
    notBefore: URIRef
    notCoveredBy: URIRef
    object: URIRef
    operatedBy: URIRef
    outOf: URIRef
    outcome: URIRef
    ownedBy: URIRef
    partOf: URIRef
    participant: URIRef
    participation: URIRef
    party: URIRef
    partyRole: URIRef
    periodEnd: URIRef
    periodStart: URIRef
    place: URIRef
    placeKind: URIRef
    post: URIRef
    premise: URIRef
    projectKind: URIRef
    quantity: URIRef
    rank: URIRef
    reachedAt: URIRef
    recipient: URIRef
    recordFile: URIRef
    recordLine: URIRef
    relation: URIRef
    role: URIRef
    rule: URIRef
    searchKey: URIRef
    seeksRecognitionFrom: URIRef
    side: URIRef
    sourceKind: URIRef
    start: URIRef
    status: URIRef
    statusChange: URIRef
    subject: URIRef
    successorOf: URIRef
    suppliedWeaponsTo: URIRef
    target: URIRef
    topic: URIRef
    trails: URIRef
    validFrom: URIRef
    validUntil: URIRef
    victim: URIRef

# The prefixes kg writes and reads are kg.prefixes.PREFIXES (free of rdflib, for fast lookups).

__all__ = ["DCTERMS", "FOAF", "ID", "KG", "ORG", "OWL", "PROV", "RDF", "RDFS", "SCHEMA", "SKOS",
           "TOPIC", "XSD", "URIRef"]
