package format

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/enum"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// Field names of the native format (besides the audit event's own).
const (
	// NativeEnrichment is the top-level object added to the audit event.
	NativeEnrichment = "enrichment"
)

// Field names of the ecs format, as dotted paths (Elastic Common Schema, as
// Elastic's Kubernetes audit_logs integration maps audit events).
const (
	ECSTimestamp           = "@timestamp"
	ECSVersion             = "ecs.version"
	ECSMessage             = "message"
	ECSEventKind           = "event.kind"
	ECSEventCategory       = "event.category"
	ECSEventType           = "event.type"
	ECSEventAction         = "event.action"
	ECSEventOutcome        = "event.outcome"
	ECSEventID             = "event.id"
	ECSEventDataset        = "event.dataset"
	ECSEventModule         = "event.module"
	ECSEventStart          = "event.start"
	ECSEventEnd            = "event.end"
	ECSEventDuration       = "event.duration"
	ECSEventSeverity       = "event.severity"
	ECSEventReason         = "event.reason"
	ECSUserName            = "user.name"
	ECSUserID              = "user.id"
	ECSUserGroupName       = "user.group.name"
	ECSUserEffectiveName   = "user.effective.name"
	ECSSourceIP            = "source.ip"
	ECSClientIP            = "client.ip"
	ECSUserAgentOriginal   = "user_agent.original"
	ECSUserAgentName       = "user_agent.name"
	ECSUserAgentVersion    = "user_agent.version"
	ECSURLOriginal         = "url.original"
	ECSURLPath             = "url.path"
	ECSURLQuery            = "url.query"
	ECSHTTPRequestMethod   = "http.request.method"
	ECSHTTPResponseStatus  = "http.response.status_code"
	ECSOrchestratorType    = "orchestrator.type"
	ECSOrchestratorCluster = "orchestrator.cluster.name"
	ECSOrchestratorNS      = "orchestrator.namespace"
	ECSOrchestratorAPI     = "orchestrator.api_version"
	ECSOrchestratorResType = "orchestrator.resource.type"
	ECSOrchestratorResName = "orchestrator.resource.name"
	ECSHostName            = "host.name"
	ECSRelatedUser         = "related.user"
	ECSRelatedIP           = "related.ip"
	ECSRuleID              = "rule.id"
	ECSThreatFramework     = "threat.framework"
	ECSThreatTechniqueID   = "threat.technique.id"
	ECSContainerImageName  = "container.image.name"
	ECSKubernetesAudit     = "kubernetes.audit"
	ECSEnrichment          = "enrichment"
)

// Field names of the ocsf format (OCSF 1.3 API Activity, class_uid 6003).
const (
	OCSFClassUID            = "class_uid"
	OCSFClassName           = "class_name"
	OCSFCategoryUID         = "category_uid"
	OCSFCategoryName        = "category_name"
	OCSFActivityID          = "activity_id"
	OCSFActivityName        = "activity_name"
	OCSFTypeUID             = "type_uid"
	OCSFTypeName            = "type_name"
	OCSFTime                = "time"
	OCSFStartTime           = "start_time"
	OCSFEndTime             = "end_time"
	OCSFDuration            = "duration"
	OCSFSeverityID          = "severity_id"
	OCSFSeverity            = "severity"
	OCSFStatusID            = "status_id"
	OCSFStatus              = "status"
	OCSFStatusCode          = "status_code"
	OCSFStatusDetail        = "status_detail"
	OCSFMessage             = "message"
	OCSFMetadataVersion     = "metadata.version"
	OCSFMetadataProductName = "metadata.product.name"
	OCSFMetadataVendorName  = "metadata.product.vendor_name"
	OCSFMetadataUID         = "metadata.uid"
	OCSFMetadataLogName     = "metadata.log_name"
	OCSFActorUserName       = "actor.user.name"
	OCSFActorUserUID        = "actor.user.uid"
	OCSFActorUserType       = "actor.user.type"
	OCSFActorUserTypeID     = "actor.user.type_id"
	OCSFActorUserGroups     = "actor.user.groups"
	OCSFActorInvokedBy      = "actor.invoked_by"
	OCSFAPIOperation        = "api.operation"
	OCSFAPIVersion          = "api.version"
	OCSFAPIGroupName        = "api.group.name"
	OCSFAPIServiceName      = "api.service.name"
	OCSFAPIRequestUID       = "api.request.uid"
	OCSFAPIResponseCode     = "api.response.code"
	OCSFAPIResponseError    = "api.response.error"
	OCSFAPIResponseMessage  = "api.response.message"
	OCSFSrcEndpointIP       = "src_endpoint.ip"
	OCSFSrcIntermediateIPs  = "src_endpoint.intermediate_ips"
	OCSFHTTPRequestMethod   = "http_request.http_method"
	OCSFHTTPRequestUA       = "http_request.user_agent"
	OCSFHTTPRequestURLPath  = "http_request.url.path"
	OCSFHTTPRequestURLQuery = "http_request.url.query_string"
	OCSFHTTPResponseCode    = "http_response.code"
	OCSFResources           = "resources"
	OCSFDstEndpointHostname = "dst_endpoint.hostname"
	OCSFAttacks             = "attacks"
	OCSFUnmappedAudit       = "unmapped.kubernetes_audit"
	OCSFUnmappedEnrichment  = "unmapped.enrichment"
)

// ECSFieldNames lists the fields of the ecs format (dotted paths).
func ECSFieldNames() []string {
	return []string{ECSTimestamp, ECSVersion, ECSMessage, ECSEventKind, ECSEventCategory, ECSEventType, ECSEventAction, ECSEventOutcome, ECSEventID, ECSEventDataset, ECSEventModule, ECSEventStart, ECSEventEnd, ECSEventDuration, ECSEventSeverity, ECSEventReason, ECSUserName, ECSUserID, ECSUserGroupName, ECSUserEffectiveName, ECSSourceIP, ECSClientIP, ECSUserAgentOriginal, ECSUserAgentName, ECSUserAgentVersion, ECSURLOriginal, ECSURLPath, ECSURLQuery, ECSHTTPRequestMethod, ECSHTTPResponseStatus, ECSOrchestratorType, ECSOrchestratorCluster, ECSOrchestratorNS, ECSOrchestratorAPI, ECSOrchestratorResType, ECSOrchestratorResName, ECSHostName, ECSRelatedUser, ECSRelatedIP, ECSRuleID, ECSThreatFramework, ECSThreatTechniqueID, ECSContainerImageName, ECSKubernetesAudit, ECSEnrichment}
}

// OCSFFieldNames lists the fields of the ocsf format (dotted paths).
func OCSFFieldNames() []string {
	return []string{OCSFClassUID, OCSFClassName, OCSFCategoryUID, OCSFCategoryName, OCSFActivityID, OCSFActivityName, OCSFTypeUID, OCSFTypeName, OCSFTime, OCSFStartTime, OCSFEndTime, OCSFDuration, OCSFSeverityID, OCSFSeverity, OCSFStatusID, OCSFStatus, OCSFStatusCode, OCSFStatusDetail, OCSFMessage, OCSFMetadataVersion, OCSFMetadataProductName, OCSFMetadataVendorName, OCSFMetadataUID, OCSFMetadataLogName, OCSFActorUserName, OCSFActorUserUID, OCSFActorUserType, OCSFActorUserTypeID, OCSFActorUserGroups, OCSFActorInvokedBy, OCSFAPIOperation, OCSFAPIVersion, OCSFAPIGroupName, OCSFAPIServiceName, OCSFAPIRequestUID, OCSFAPIResponseCode, OCSFAPIResponseError, OCSFAPIResponseMessage, OCSFSrcEndpointIP, OCSFSrcIntermediateIPs, OCSFHTTPRequestMethod, OCSFHTTPRequestUA, OCSFHTTPRequestURLPath, OCSFHTTPRequestURLQuery, OCSFHTTPResponseCode, OCSFResources, OCSFDstEndpointHostname, OCSFAttacks, OCSFUnmappedAudit, OCSFUnmappedEnrichment}
}

// Format is the shape of a message value written to Kafka.
type Format int

const (
	// Native is the audit event as the apiserver logged it (after
	// redaction), with the enrichment as its last member.
	Native Format = iota
	// ECS is an Elastic Common Schema document.
	ECS
	// OCSF is an OCSF API Activity event.
	OCSF
)

var formatNames = []string{"native", "ecs", "ocsf"}

func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return "format(" + strconv.Itoa(int(f)) + ")"
	}
	return formatNames[f]
}

// UnmarshalText reads a format name; the error of an unknown one lists the
// valid names.
func (f *Format) UnmarshalText(b []byte) error {
	i, err := enum.Parse("format", string(b), formatNames)
	if err == nil {
		*f = Format(i)
	}
	return err
}

// Version is the format_version header of the format's messages: the name
// and the version of its schema, bumped on a breaking change.
func (f Format) Version() string {
	switch f { // constants: no allocation per message
	case Native:
		return "native/2"
	case ECS:
		return "ecs/1"
	case OCSF:
		return "ocsf/1"
	}
	return f.String() + "/1"
}

// Append appends the record's message value in format f; d is the detail
// of the native format's enrichment (ecs and ocsf carry the whole
// enrichment).
func Append(dst []byte, f Format, d Detail, rec *record.Record) ([]byte, error) {
	switch f {
	case ECS:
		return appendECS(dst, rec)
	case OCSF:
		return appendOCSF(dst, rec)
	case Native:
		return appendNative(dst, rec, d)
	}
	return dst, fmt.Errorf("unknown format %d", int(f))
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func appendECS(dst []byte, rec *record.Record) ([]byte, error) {
	ev, e := rec.Event, &rec.Enrichment
	var d fmtDoc
	d.plan = ecsPlan
	d.str(ECSTimestamp, timeString(ev.RequestReceivedTimestamp.Time))
	d.str(ECSVersion, "8.11.0")
	d.str(ECSMessage, e.Summary)
	d.str(ECSEventKind, "event")
	d.strs(ECSEventCategory, []string{"api"})
	d.strs(ECSEventType, ecsEventType(e))
	d.str(ECSEventAction, ev.Verb)
	d.str(ECSEventOutcome, ecsOutcome(e))
	d.str(ECSEventID, string(ev.AuditID))
	d.str(ECSEventDataset, "kubernetes.audit_logs")
	d.str(ECSEventModule, "kubernetes")
	d.str(ECSEventStart, timeString(ev.RequestReceivedTimestamp.Time))
	d.str(ECSEventEnd, timeString(ev.StageTimestamp.Time))
	if !ev.RequestReceivedTimestamp.IsZero() && !ev.StageTimestamp.IsZero() {
		d.int(ECSEventDuration, ev.StageTimestamp.Sub(ev.RequestReceivedTimestamp.Time).Nanoseconds())
	}
	d.int(ECSEventSeverity, int64(e.SeverityID))
	d.str(ECSEventReason, e.Result.DecisionReason)
	d.str(ECSUserName, ev.User.Username)
	d.str(ECSUserID, ev.User.UID)
	d.strs(ECSUserGroupName, ev.User.Groups)
	d.str(ECSUserEffectiveName, e.Who.ImpersonatedUser)
	if len(ev.SourceIPs) > 0 {
		d.str(ECSSourceIP, ev.SourceIPs[0])
		d.str(ECSClientIP, ev.SourceIPs[0])
	}
	d.str(ECSUserAgentOriginal, ev.UserAgent)
	d.str(ECSUserAgentName, e.Who.Client)
	d.str(ECSUserAgentVersion, e.Who.ClientVersion)
	d.str(ECSURLOriginal, ev.RequestURI)
	path, query, _ := strings.Cut(ev.RequestURI, "?")
	d.str(ECSURLPath, path)
	d.str(ECSURLQuery, query)
	d.str(ECSHTTPRequestMethod, record.HTTPMethod(ev.Verb))
	if e.Result.Code != 0 {
		d.int(ECSHTTPResponseStatus, int64(e.Result.Code))
	}
	d.str(ECSOrchestratorType, "kubernetes")
	d.str(ECSOrchestratorCluster, e.Cluster)
	d.str(ECSOrchestratorNS, e.What.Namespace)
	if e.What.Resource != "" {
		gv := e.What.APIVersion
		if e.What.APIGroup != "" {
			gv = e.What.APIGroup + "/" + gv
		}
		d.str(ECSOrchestratorAPI, gv)
		d.str(ECSOrchestratorResType, resourceType(e))
		d.str(ECSOrchestratorResName, e.What.Name)
	}
	d.str(ECSHostName, e.Node)
	d.strs(ECSRelatedUser, relatedUsers(ev))
	d.strs(ECSRelatedIP, ev.SourceIPs)
	d.strs(ECSRuleID, e.Rules)
	if len(e.Attack) > 0 {
		d.str(ECSThreatFramework, "MITRE ATT&CK")
		d.strs(ECSThreatTechniqueID, e.Attack)
	}
	d.strs(ECSContainerImageName, rec.Images)
	d.special(ECSKubernetesAudit, dkEvent)
	d.special(ECSEnrichment, dkEnrichment)
	return d.appendJSON(dst, rec)
}

func resourceType(e *record.Enrichment) string {
	if e.What.Subresource != "" {
		return e.What.Resource + "/" + e.What.Subresource
	}
	return e.What.Resource
}

func relatedUsers(ev *auditv1.Event) []string {
	var us []string
	if ev.User.Username != "" {
		us = append(us, ev.User.Username)
	}
	if ev.ImpersonatedUser != nil && ev.ImpersonatedUser.Username != "" && ev.ImpersonatedUser.Username != ev.User.Username {
		us = append(us, ev.ImpersonatedUser.Username)
	}
	return us
}

// ecsOutcome: failure for an authorizer's forbid or a response code of 400
// or more (Elastic's pipeline looks at the decision only, which calls an
// admission denial or a 404 a success), success for other responses,
// unknown before a response.
func ecsOutcome(e *record.Enrichment) string {
	switch c := e.Result.Code; {
	case e.Result.Decision == "forbid" || c >= 400:
		return "failure"
	case c == 0 && e.Result.Decision == "":
		return "unknown"
	}
	return "success"
}

func ecsEventType(e *record.Enrichment) []string {
	var t string
	switch e.What.Verb {
	case "create":
		t = "creation"
	case "update", "patch":
		t = "change"
	case "delete", "deletecollection":
		t = "deletion"
	case "get", "list", "watch":
		t = "access"
	default:
		t = "info"
	}
	if e.Outcome() == "denied" {
		return []string{t, "denied"}
	}
	if e.Result.Allowed {
		return []string{t, "allowed"}
	}
	return []string{t}
}

// OCSF API Activity activity ids.
const (
	ocsfActivityUnknown = 0
	ocsfActivityCreate  = 1
	ocsfActivityRead    = 2
	ocsfActivityUpdate  = 3
	ocsfActivityDelete  = 4
	ocsfActivityOther   = 99
)

// OCSFActivity maps an audit verb to an OCSF API Activity activity_id and name.
func OCSFActivity(verb string) (int, string) {
	switch verb {
	case "create":
		return ocsfActivityCreate, "Create"
	case "get", "list", "watch", "head":
		return ocsfActivityRead, "Read"
	case "update", "patch":
		return ocsfActivityUpdate, "Update"
	case "delete", "deletecollection":
		return ocsfActivityDelete, "Delete"
	case "":
		return ocsfActivityUnknown, "Unknown"
	}
	return ocsfActivityOther, "Other"
}

var ocsfSeverityNames = [...]string{"Unknown", "Informational", "Low", "Medium", "High", "Critical"}

func appendOCSF(dst []byte, rec *record.Record) ([]byte, error) {
	ev, e := rec.Event, &rec.Enrichment
	const classUID, categoryUID = 6003, 6
	act, actName := OCSFActivity(ev.Verb)
	var d fmtDoc
	d.plan = ocsfPlan
	d.int(OCSFClassUID, classUID)
	d.str(OCSFClassName, "API Activity")
	d.int(OCSFCategoryUID, categoryUID)
	d.str(OCSFCategoryName, "Application Activity")
	d.int(OCSFActivityID, int64(act))
	d.str(OCSFActivityName, actName)
	d.int(OCSFTypeUID, int64(classUID*100+act))
	d.str(OCSFTypeName, "API Activity: "+actName)
	start, end := ev.RequestReceivedTimestamp.Time, ev.StageTimestamp.Time
	switch {
	case !start.IsZero():
		d.int(OCSFTime, start.UnixMilli())
	case !end.IsZero():
		d.int(OCSFTime, end.UnixMilli())
	default:
		d.int(OCSFTime, 0)
	}
	if !start.IsZero() {
		d.int(OCSFStartTime, start.UnixMilli())
	}
	if !end.IsZero() {
		d.int(OCSFEndTime, end.UnixMilli())
		if !start.IsZero() {
			d.int(OCSFDuration, end.Sub(start).Milliseconds())
		}
	}
	sev := e.SeverityID
	if sev < 0 || sev >= len(ocsfSeverityNames) {
		sev = 0
	}
	d.int(OCSFSeverityID, int64(sev))
	d.str(OCSFSeverity, ocsfSeverityNames[sev])
	switch o := e.Outcome(); o {
	case "allowed":
		d.int(OCSFStatusID, 1)
		d.str(OCSFStatus, "Success")
	case "denied", "failed":
		d.int(OCSFStatusID, 2)
		d.str(OCSFStatus, "Failure")
	default:
		d.int(OCSFStatusID, 0)
		d.str(OCSFStatus, "Unknown")
	}
	if e.Result.Code != 0 {
		d.str(OCSFStatusCode, strconv.Itoa(int(e.Result.Code)))
	}
	d.str(OCSFStatusDetail, e.Result.Reason)
	d.str(OCSFMessage, e.Summary)
	d.str(OCSFMetadataVersion, "1.3.0")
	d.str(OCSFMetadataProductName, "kube-audit-kafka")
	d.str(OCSFMetadataVendorName, "kube-audit-kafka")
	d.str(OCSFMetadataUID, string(ev.AuditID))
	d.str(OCSFMetadataLogName, "kube-apiserver-audit")
	d.str(OCSFActorUserName, ev.User.Username)
	d.str(OCSFActorUserUID, ev.User.UID)
	typ, typID := ocsfUserType(ev.User.Username)
	d.str(OCSFActorUserType, typ)
	d.int(OCSFActorUserTypeID, int64(typID))
	if len(ev.User.Groups) > 0 {
		d.special(OCSFActorUserGroups, dkGroups)
	}
	if e.Who.ImpersonatedUser != "" {
		// The authenticated user invoked the request as the impersonated one.
		d.str(OCSFActorInvokedBy, ev.User.Username)
		d.str(OCSFActorUserName, e.Who.ImpersonatedUser)
		if ev.ImpersonatedUser != nil { // always so for an enriched record
			d.str(OCSFActorUserUID, ev.ImpersonatedUser.UID)
		}
	}
	d.str(OCSFAPIOperation, ev.Verb)
	d.str(OCSFAPIVersion, e.What.APIVersion)
	d.str(OCSFAPIGroupName, e.What.APIGroup)
	d.str(OCSFAPIServiceName, "kube-apiserver")
	d.str(OCSFAPIRequestUID, string(ev.AuditID))
	if e.Result.Code != 0 {
		d.int(OCSFAPIResponseCode, int64(e.Result.Code))
	}
	if e.Result.Code >= 400 {
		d.str(OCSFAPIResponseError, e.Result.Reason)
		d.str(OCSFAPIResponseMessage, e.Result.Message)
	}
	if len(ev.SourceIPs) > 0 {
		d.str(OCSFSrcEndpointIP, ev.SourceIPs[0])
		d.strs(OCSFSrcIntermediateIPs, ev.SourceIPs[1:])
	}
	path, query, _ := strings.Cut(ev.RequestURI, "?")
	d.str(OCSFHTTPRequestMethod, record.HTTPMethod(ev.Verb))
	d.str(OCSFHTTPRequestUA, ev.UserAgent)
	d.str(OCSFHTTPRequestURLPath, path)
	d.str(OCSFHTTPRequestURLQuery, query)
	if e.Result.Code != 0 {
		d.int(OCSFHTTPResponseCode, int64(e.Result.Code))
	}
	if e.What.Resource != "" {
		// type, name, namespace, uid and group.name, from the record
		d.special(OCSFResources, dkResources)
	}
	d.str(OCSFDstEndpointHostname, e.Node)
	if len(e.Attack) > 0 {
		d.special(OCSFAttacks, dkAttacks)
	}
	d.special(OCSFUnmappedAudit, dkEvent)
	d.special(OCSFUnmappedEnrichment, dkEnrichment)
	return d.appendJSON(dst, rec)
}

// ocsfUserType classifies a Kubernetes user for OCSF actor.user.type_id:
// 1 User, 3 System, 99 Other (service accounts), 0 Unknown.
func ocsfUserType(name string) (string, int) {
	switch {
	case name == "":
		return "Unknown", 0
	case strings.HasPrefix(name, record.ServiceAccountPrefix):
		return "Service Account", 99
	case strings.HasPrefix(name, "system:"):
		return "System", 3
	}
	return "User", 1
}

// Detail is how much the native format's enrichment carries.
type Detail int

const (
	// Lean: what is derived from the event (record.Native), no copies of
	// its fields.
	Lean Detail = iota
	// Full adds the copies: who, what, where and result.
	Full
)

var detailNames = []string{"lean", "full"}

func (d Detail) String() string {
	if d < 0 || int(d) >= len(detailNames) {
		return "detail(" + strconv.Itoa(int(d)) + ")"
	}
	return detailNames[d]
}

// UnmarshalText reads a detail name; the error of an unknown one lists the
// valid names.
func (d *Detail) UnmarshalText(b []byte) error {
	i, err := enum.Parse("enrichment detail", string(b), detailNames)
	if err == nil {
		*d = Detail(i)
	}
	return err
}
