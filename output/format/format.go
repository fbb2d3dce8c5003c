package format

import (
	"fmt"
	"net/netip"
	"runtime/debug"
	"slices"
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

// Field names of the ocsf format (OCSF 1.8.0 API Activity, class_uid 6003).
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
	OCSFMetadataProfiles    = "metadata.profiles"
	OCSFMetadataProductName = "metadata.product.name"
	OCSFMetadataVendorName  = "metadata.product.vendor_name"
	OCSFMetadataLoggers     = "metadata.loggers"
	OCSFMetadataUID         = "metadata.uid"
	OCSFMetadataLogName     = "metadata.log_name"
	OCSFMetadataLogLevel    = "metadata.log_level"
	OCSFActorUserName       = "actor.user.name"
	OCSFActorUserUID        = "actor.user.uid"
	OCSFActorUserType       = "actor.user.type"
	OCSFActorUserTypeID     = "actor.user.type_id"
	OCSFActorUserGroups     = "actor.user.groups"
	OCSFAPIOperation        = "api.operation"
	OCSFAPIVersion          = "api.version"
	OCSFAPIGroupName        = "api.group.name"
	OCSFAPIServiceName      = "api.service.name"
	OCSFAPIRequestUID       = "api.request.uid"
	OCSFAPIRequestData      = "api.request.data"
	OCSFAPIResponseCode     = "api.response.code"
	OCSFAPIResponseError    = "api.response.error"
	OCSFAPIResponseMessage  = "api.response.message"
	OCSFAPIResponseData     = "api.response.data"
	OCSFSrcEndpointIP       = "src_endpoint.ip"
	OCSFSrcEndpointName     = "src_endpoint.name"
	OCSFSrcIntermediateIPs  = "src_endpoint.intermediate_ips"
	OCSFHTTPRequestMethod   = "http_request.http_method"
	OCSFHTTPRequestUA       = "http_request.user_agent"
	OCSFHTTPRequestURLPath  = "http_request.url.path"
	OCSFHTTPRequestURLQuery = "http_request.url.query_string"
	OCSFHTTPResponseCode    = "http_response.code"
	OCSFResources           = "resources"
	OCSFDstEndpointHostname = "dst_endpoint.hostname"
	OCSFAttacks             = "attacks"
	OCSFObservables         = "observables"
	OCSFUnmappedAudit       = "unmapped.kubernetes_audit"
	OCSFUnmappedEnrichment  = "unmapped.enrichment"
)

// OCSFVersion is the OCSF schema version the ocsf format follows (and
// declares in metadata.version).
const OCSFVersion = "1.8.0"

// ECSFieldNames lists the fields of the ecs format (dotted paths).
func ECSFieldNames() []string {
	return []string{ECSTimestamp, ECSVersion, ECSMessage, ECSEventKind, ECSEventCategory, ECSEventType, ECSEventAction, ECSEventOutcome, ECSEventID, ECSEventDataset, ECSEventModule, ECSEventStart, ECSEventEnd, ECSEventDuration, ECSEventSeverity, ECSEventReason, ECSUserName, ECSUserID, ECSUserGroupName, ECSUserEffectiveName, ECSSourceIP, ECSClientIP, ECSUserAgentOriginal, ECSUserAgentName, ECSUserAgentVersion, ECSURLOriginal, ECSURLPath, ECSURLQuery, ECSHTTPRequestMethod, ECSHTTPResponseStatus, ECSOrchestratorType, ECSOrchestratorCluster, ECSOrchestratorNS, ECSOrchestratorAPI, ECSOrchestratorResType, ECSOrchestratorResName, ECSHostName, ECSRelatedUser, ECSRelatedIP, ECSRuleID, ECSThreatFramework, ECSThreatTechniqueID, ECSContainerImageName, ECSKubernetesAudit, ECSEnrichment}
}

// OCSFFieldNames lists the fields of the ocsf format (dotted paths).
func OCSFFieldNames() []string {
	return []string{OCSFClassUID, OCSFClassName, OCSFCategoryUID, OCSFCategoryName, OCSFActivityID, OCSFActivityName, OCSFTypeUID, OCSFTypeName, OCSFTime, OCSFStartTime, OCSFEndTime, OCSFDuration, OCSFSeverityID, OCSFSeverity, OCSFStatusID, OCSFStatus, OCSFStatusCode, OCSFStatusDetail, OCSFMessage, OCSFMetadataVersion, OCSFMetadataProfiles, OCSFMetadataProductName, OCSFMetadataVendorName, OCSFMetadataLoggers, OCSFMetadataUID, OCSFMetadataLogName, OCSFMetadataLogLevel, OCSFActorUserName, OCSFActorUserUID, OCSFActorUserType, OCSFActorUserTypeID, OCSFActorUserGroups, OCSFAPIOperation, OCSFAPIVersion, OCSFAPIGroupName, OCSFAPIServiceName, OCSFAPIRequestUID, OCSFAPIRequestData, OCSFAPIResponseCode, OCSFAPIResponseError, OCSFAPIResponseMessage, OCSFAPIResponseData, OCSFSrcEndpointIP, OCSFSrcEndpointName, OCSFSrcIntermediateIPs, OCSFHTTPRequestMethod, OCSFHTTPRequestUA, OCSFHTTPRequestURLPath, OCSFHTTPRequestURLQuery, OCSFHTTPResponseCode, OCSFResources, OCSFDstEndpointHostname, OCSFAttacks, OCSFObservables, OCSFUnmappedAudit, OCSFUnmappedEnrichment}
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
		return "ocsf/2" // 2: OCSF 1.8.0 (was 1.3.0 with later attributes)
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
	if len(ev.SourceIPs) > 0 && ValidIP(ev.SourceIPs[0]) {
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
	d.strs(ECSRelatedIP, validIPs(ev.SourceIPs))
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

// relatedUsers are the names and uids of the user and of the impersonated
// user, each once.
func relatedUsers(ev *auditv1.Event) []string {
	var us []string
	add := func(s string) {
		if s != "" && !slices.Contains(us, s) {
			us = append(us, s)
		}
	}
	add(ev.User.Username)
	add(ev.User.UID)
	if ev.ImpersonatedUser != nil {
		add(ev.ImpersonatedUser.Username)
		add(ev.ImpersonatedUser.UID)
	}
	return us
}

// ValidIP reports whether s is an IP address that Elasticsearch's ip type
// and OCSF's ip_t accept: IPv4 or IPv6, without a zone, at most 40 bytes.
// Other source addresses are kept in the audit event but left out of the
// formats' ip fields.
func ValidIP(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

// InvalidIPs counts the addresses of ips that are not ValidIP (the pipeline
// counts them in its metrics).
func InvalidIPs(ips []string) int {
	n := 0
	for _, ip := range ips {
		if !ValidIP(ip) {
			n++
		}
	}
	return n
}

// validIPs returns ips without the invalid ones (ips itself when all are
// valid).
func validIPs(ips []string) []string {
	if InvalidIPs(ips) == 0 {
		return ips
	}
	var out []string
	for _, ip := range ips {
		if ValidIP(ip) {
			out = append(out, ip)
		}
	}
	return out
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

// The reporter of the events (OCSF metadata.product) and this plugin, the
// logger that forwards them (metadata.loggers[]).
const (
	ocsfProductName  = "Kubernetes API server"
	ocsfProductVenor = "Kubernetes"
	ocsfLoggerName   = "kube-audit-kafka"
	// ocsfAnonymous is the actor.user.name of an unauthenticated request
	// (Kubernetes' name for it: the apiserver logged no user).
	ocsfAnonymous = "system:anonymous"
)

// loggerVersion is this module's version as the Go toolchain stamped it, ""
// for a development build (read-only after initialisation).
var loggerVersion = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return ""
}()

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
	d.str(OCSFMetadataVersion, OCSFVersion)
	if len(e.Attack) > 0 {
		d.strs(OCSFMetadataProfiles, ocsfProfiles)
	}
	d.str(OCSFMetadataProductName, ocsfProductName)
	d.str(OCSFMetadataVendorName, ocsfProductVenor)
	d.special(OCSFMetadataLoggers, dkLoggers)
	d.str(OCSFMetadataUID, string(ev.AuditID))
	d.str(OCSFMetadataLogName, "kube-apiserver-audit")
	d.str(OCSFMetadataLogLevel, string(ev.Level))
	d.str(OCSFActorUserName, ocsfUserName(ev))
	d.str(OCSFActorUserUID, ev.User.UID)
	typ, typID := ocsfUserType(ev.User.Username)
	d.str(OCSFActorUserType, typ)
	d.int(OCSFActorUserTypeID, int64(typID))
	if len(ev.User.Groups) > 0 {
		d.special(OCSFActorUserGroups, dkGroups)
	}
	d.str(OCSFAPIOperation, ev.Verb)
	d.str(OCSFAPIVersion, e.What.APIVersion)
	d.str(OCSFAPIGroupName, e.What.APIGroup)
	d.str(OCSFAPIServiceName, "kube-apiserver")
	d.str(OCSFAPIRequestUID, string(ev.AuditID))
	if ev.RequestObject != nil {
		d.special(OCSFAPIRequestData, dkRequestData)
	}
	if e.Result.Code != 0 {
		d.int(OCSFAPIResponseCode, int64(e.Result.Code))
	}
	if e.Result.Code >= 400 {
		d.str(OCSFAPIResponseError, e.Result.Reason)
		d.str(OCSFAPIResponseMessage, e.Result.Message)
	}
	if ev.ResponseObject != nil {
		d.special(OCSFAPIResponseData, dkResponseData)
	}
	srcIP, srcName, inter := ocsfSource(ev.SourceIPs)
	d.str(OCSFSrcEndpointIP, srcIP)
	d.str(OCSFSrcEndpointName, srcName)
	d.strs(OCSFSrcIntermediateIPs, inter)
	path, query, _ := strings.Cut(ev.RequestURI, "?")
	d.str(OCSFHTTPRequestMethod, ocsfHTTPMethod(ev.Verb))
	d.str(OCSFHTTPRequestUA, ev.UserAgent)
	d.str(OCSFHTTPRequestURLPath, path)
	d.str(OCSFHTTPRequestURLQuery, query)
	if e.Result.Code != 0 {
		d.int(OCSFHTTPResponseCode, int64(e.Result.Code))
	}
	rs := ocsfResources(rec)
	if len(rs) > 0 {
		d.special(OCSFResources, dkResources)
	}
	d.str(OCSFDstEndpointHostname, e.Node)
	if len(e.Attack) > 0 {
		d.special(OCSFAttacks, dkAttacks)
	}
	if hasOCSFObservables(rec) {
		d.special(OCSFObservables, dkObservables)
	}
	d.special(OCSFUnmappedAudit, dkEvent)
	d.special(OCSFUnmappedEnrichment, dkEnrichment)
	return d.appendJSON(dst, rec)
}

// ocsfProfiles is metadata.profiles of a document with attacks (read-only).
var ocsfProfiles = []string{"security_control"}

// ocsfUserName is actor.user.name: the authenticated user (the one
// accountable for the request; an impersonated identity is a resource of
// the request, see ocsfResources), system:anonymous when the apiserver
// logged none.
func ocsfUserName(ev *auditv1.Event) string {
	if ev.User.Username == "" && ev.User.UID == "" {
		return ocsfAnonymous
	}
	return ev.User.Username
}

// ocsfSource splits the source addresses into src_endpoint: ip (the first,
// when it is an IP address), name (the first when it is not, "unknown" when
// the apiserver logged none: src_endpoint is required), and the valid
// others as intermediate_ips.
func ocsfSource(ips []string) (ip, name string, intermediate []string) {
	if len(ips) == 0 {
		return "", "unknown", nil
	}
	if ValidIP(ips[0]) {
		ip = ips[0]
	} else {
		name = ips[0]
	}
	return ip, name, validIPs(ips[1:])
}

// ocsfHTTPMethod is http_request.http_method: the HTTP method of the verb
// when it is one of OCSF's (the others are left out).
func ocsfHTTPMethod(verb string) string {
	switch m := record.HTTPMethod(verb); m {
	case "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE":
		return m
	}
	return ""
}

// ocsfResource is one entry of resources[]; its fields in the JSON key
// order.
type ocsfResource struct {
	group, name, namespace, role string
	roleID                       int
	typ, uid                     string
}

// ocsfResources are the request's target (role Target) and, when the
// request impersonated someone, the impersonated identity (role Actor: the
// identity the apiserver authorized the request as; OCSF 1.8.0 has no
// attribute for it in actor, and actor.invoked_by is deprecated). A
// target without a name (list, watch, deletecollection, create without
// one) is named by its collection's URL path, which identifies it. Every
// entry has a name (OCSF: at least one of name and uid).
func ocsfResources(rec *record.Record) []ocsfResource {
	ev, e := rec.Event, &rec.Enrichment
	var rs []ocsfResource
	if e.What.Resource != "" {
		r := ocsfResource{group: e.What.APIGroup, name: e.What.Name, namespace: e.What.Namespace,
			role: "Target", roleID: 1, typ: resourceType(e)}
		if ev.ObjectRef != nil {
			r.uid = string(ev.ObjectRef.UID)
		}
		if r.name == "" && r.uid == "" {
			r.name, _, _ = strings.Cut(ev.RequestURI, "?")
			if r.name == "" {
				r.name = r.typ
			}
		}
		rs = append(rs, r)
	}
	if iu := ev.ImpersonatedUser; iu != nil && (iu.Username != "" || iu.UID != "") {
		r := ocsfResource{name: iu.Username, role: "Actor", roleID: 2, typ: "users", uid: iu.UID}
		if strings.HasPrefix(iu.Username, record.ServiceAccountPrefix) {
			r.typ = "serviceaccounts"
		}
		rs = append(rs, r)
	}
	return rs
}

// ocsfObservable is one entry of observables[]; its fields in the JSON key
// order.
type ocsfObservable struct {
	name, typ string
	typeID    int
	value     string
}

// OCSF observable type ids (and their captions).
const (
	obsIP           = 2  // IP Address
	obsUserName     = 4  // User Name
	obsResourceUID  = 10 // Resource UID
	obsUserUID      = 31 // User uid
	obsResourceName = 38 // Resource Details name
)

// obsCaptions are the captions of the observable type ids (read-only).
var obsCaptions = map[int]string{obsIP: "IP Address", obsUserName: "User Name", obsResourceUID: "Resource UID",
	obsUserUID: "User uid", obsResourceName: "Resource Details name"}

// ocsfObservables lists the user, the addresses and the resources of the
// document as observables.
func ocsfObservables(rec *record.Record) []ocsfObservable {
	ev := rec.Event
	var os []ocsfObservable
	add := func(name string, typeID int, value string) {
		if value != "" {
			os = append(os, ocsfObservable{name: name, typ: obsCaptions[typeID], typeID: typeID, value: value})
		}
	}
	add(OCSFActorUserName, obsUserName, ev.User.Username)
	add(OCSFActorUserUID, obsUserUID, ev.User.UID)
	ip, _, inter := ocsfSource(ev.SourceIPs)
	add(OCSFSrcEndpointIP, obsIP, ip)
	for _, a := range inter {
		add(OCSFSrcIntermediateIPs, obsIP, a)
	}
	for i, r := range ocsfResources(rec) {
		p := "resources[" + strconv.Itoa(i) + "]."
		add(p+"name", obsResourceName, r.name)
		add(p+"uid", obsResourceUID, r.uid)
	}
	return os
}

// hasOCSFObservables reports whether ocsfObservables has any.
func hasOCSFObservables(rec *record.Record) bool {
	ev := rec.Event
	return ev.User.Username != "" || ev.User.UID != "" || len(ev.SourceIPs) > 0 && ValidIP(ev.SourceIPs[0]) ||
		len(validIPs(ev.SourceIPs)) > 0 || rec.Enrichment.What.Resource != "" ||
		ev.ImpersonatedUser != nil && (ev.ImpersonatedUser.Username != "" || ev.ImpersonatedUser.UID != "")
}

// ocsfAttack splits an ATT&CK id into technique and sub-technique
// (T1552.007: T1552 and T1552.007; T1078: T1078 and "").
func ocsfAttack(id string) (technique, sub string) {
	if t, _, ok := strings.Cut(id, "."); ok {
		return t, id
	}
	return id, ""
}

// ocsfUserType classifies a Kubernetes user for OCSF actor.user.type_id:
// 1 User, 3 System, 4 Service (service accounts), 0 Unknown.
func ocsfUserType(name string) (string, int) {
	switch {
	case name == "":
		return "Unknown", 0
	case strings.HasPrefix(name, record.ServiceAccountPrefix):
		return "Service", 4
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
