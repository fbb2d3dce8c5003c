package enrich

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
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

// Encode appends the record's message value in the configured format.
func (en *Enricher) Encode(dst []byte, rec *Record) ([]byte, error) {
	switch en.cfg.Format {
	case conf.FormatECS:
		return encodeECS(dst, rec)
	case conf.FormatOCSF:
		return encodeOCSF(dst, rec)
	}
	return encodeNative(dst, rec)
}

// encodeNative appends the audit event with the enrichment as its last
// member, as json.Marshal would write them (see appendjson.go).
func encodeNative(dst []byte, rec *Record) ([]byte, error) {
	return appendNative(dst, rec)
}

// doc is a JSON document built from dotted paths.
type doc map[string]any

// put sets a dotted path, creating the objects on the way. Empty values are
// left out.
func (d doc) put(path string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case []string:
		if len(x) == 0 {
			return
		}
	case nil:
		return
	}
	m := d
	for {
		head, rest, ok := strings.Cut(path, ".")
		if !ok {
			m[path] = v
			return
		}
		next, _ := m[head].(doc)
		if next == nil {
			next = doc{}
			m[head] = next
		}
		m, path = next, rest
	}
}

// appendJSON appends the document without HTML escaping ("&", "<", ">"
// stay as they are: the consumer is a SIEM, not a browser).
func (d doc) appendJSON(dst []byte, format string) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return dst, fmt.Errorf("encode %s: %w", format, err)
	}
	out := b.Bytes()
	return out[:len(out)-1], nil // Encode's newline
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// eventJSON marshals the audit event (for embedding in another schema).
func eventJSON(ev *auditv1.Event) (json.RawMessage, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b, nil
}

func encodeECS(dst []byte, rec *Record) ([]byte, error) {
	ev, e := rec.Event, &rec.Enrichment
	// As Elastic's pipeline does, dots in annotation keys become '_' so that
	// Elasticsearch does not read them as object paths.
	evc := *ev
	if len(ev.Annotations) > 0 {
		evc.Annotations = make(map[string]string, len(ev.Annotations))
		for k, v := range ev.Annotations {
			evc.Annotations[strings.ReplaceAll(k, ".", "_")] = v
		}
	}
	raw, err := eventJSON(&evc)
	if err != nil {
		return dst, err
	}
	d := doc{}
	d.put(ECSTimestamp, timeString(ev.RequestReceivedTimestamp.Time))
	d.put(ECSVersion, "8.11.0")
	d.put(ECSMessage, e.Summary)
	d.put(ECSEventKind, "event")
	d.put(ECSEventCategory, []string{"api"})
	d.put(ECSEventType, ecsEventType(e))
	d.put(ECSEventAction, ev.Verb)
	d.put(ECSEventOutcome, ecsOutcome(e))
	d.put(ECSEventID, string(ev.AuditID))
	d.put(ECSEventDataset, "kubernetes.audit_logs")
	d.put(ECSEventModule, "kubernetes")
	d.put(ECSEventStart, timeString(ev.RequestReceivedTimestamp.Time))
	d.put(ECSEventEnd, timeString(ev.StageTimestamp.Time))
	if !ev.RequestReceivedTimestamp.IsZero() && !ev.StageTimestamp.IsZero() {
		d.put(ECSEventDuration, ev.StageTimestamp.Sub(ev.RequestReceivedTimestamp.Time).Nanoseconds())
	}
	d.put(ECSEventSeverity, e.SeverityID)
	d.put(ECSEventReason, e.Result.DecisionReason)
	d.put(ECSUserName, ev.User.Username)
	d.put(ECSUserID, ev.User.UID)
	d.put(ECSUserGroupName, ev.User.Groups)
	d.put(ECSUserEffectiveName, e.Who.ImpersonatedUser)
	if len(ev.SourceIPs) > 0 {
		d.put(ECSSourceIP, ev.SourceIPs[0])
		d.put(ECSClientIP, ev.SourceIPs[0])
	}
	d.put(ECSUserAgentOriginal, ev.UserAgent)
	d.put(ECSUserAgentName, e.Who.Client)
	d.put(ECSUserAgentVersion, e.Who.ClientVersion)
	d.put(ECSURLOriginal, ev.RequestURI)
	path, query, _ := strings.Cut(ev.RequestURI, "?")
	d.put(ECSURLPath, path)
	d.put(ECSURLQuery, query)
	d.put(ECSHTTPRequestMethod, httpMethod(ev.Verb))
	if e.Result.Code != 0 {
		d.put(ECSHTTPResponseStatus, e.Result.Code)
	}
	d.put(ECSOrchestratorType, "kubernetes")
	d.put(ECSOrchestratorCluster, e.Cluster)
	d.put(ECSOrchestratorNS, e.What.Namespace)
	if e.What.Resource != "" {
		gv := e.What.APIVersion
		if e.What.APIGroup != "" {
			gv = e.What.APIGroup + "/" + gv
		}
		d.put(ECSOrchestratorAPI, gv)
		d.put(ECSOrchestratorResType, resourceType(e))
		d.put(ECSOrchestratorResName, e.What.Name)
	}
	d.put(ECSHostName, e.Node)
	d.put(ECSRelatedUser, relatedUsers(ev))
	d.put(ECSRelatedIP, ev.SourceIPs)
	d.put(ECSRuleID, e.Rules)
	if len(e.Attack) > 0 {
		d.put(ECSThreatFramework, "MITRE ATT&CK")
		d.put(ECSThreatTechniqueID, e.Attack)
	}
	if ev.ObjectRef != nil && ev.ObjectRef.Resource == "pods" && ev.ObjectRef.Subresource == "" && ev.RequestObject != nil {
		var b body
		parseBody(ev, &b)
		d.put(ECSContainerImageName, b.images())
	}
	d.put(ECSKubernetesAudit, raw)
	d.put(ECSEnrichment, e)
	return d.appendJSON(dst, "ecs")
}

func resourceType(e *Enrichment) string {
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
func ecsOutcome(e *Enrichment) string {
	switch c := e.Result.Code; {
	case e.Result.Decision == "forbid" || c >= 400:
		return "failure"
	case c == 0 && e.Result.Decision == "":
		return "unknown"
	}
	return "success"
}

func ecsEventType(e *Enrichment) []string {
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
	if outcome(e) == "denied" {
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

func encodeOCSF(dst []byte, rec *Record) ([]byte, error) {
	ev, e := rec.Event, &rec.Enrichment
	raw, err := eventJSON(ev)
	if err != nil {
		return dst, err
	}
	const classUID, categoryUID = 6003, 6
	act, actName := OCSFActivity(ev.Verb)
	d := doc{}
	d.put(OCSFClassUID, classUID)
	d.put(OCSFClassName, "API Activity")
	d.put(OCSFCategoryUID, categoryUID)
	d.put(OCSFCategoryName, "Application Activity")
	d.put(OCSFActivityID, act)
	d.put(OCSFActivityName, actName)
	d.put(OCSFTypeUID, classUID*100+act)
	d.put(OCSFTypeName, "API Activity: "+actName)
	start, end := ev.RequestReceivedTimestamp.Time, ev.StageTimestamp.Time
	switch {
	case !start.IsZero():
		d.put(OCSFTime, start.UnixMilli())
	case !end.IsZero():
		d.put(OCSFTime, end.UnixMilli())
	default:
		d.put(OCSFTime, 0)
	}
	if !start.IsZero() {
		d.put(OCSFStartTime, start.UnixMilli())
	}
	if !end.IsZero() {
		d.put(OCSFEndTime, end.UnixMilli())
		if !start.IsZero() {
			d.put(OCSFDuration, end.Sub(start).Milliseconds())
		}
	}
	sev := e.SeverityID
	if sev < 0 || sev >= len(ocsfSeverityNames) {
		sev = 0
	}
	d.put(OCSFSeverityID, sev)
	d.put(OCSFSeverity, ocsfSeverityNames[sev])
	switch o := outcome(e); o {
	case "allowed":
		d.put(OCSFStatusID, 1)
		d.put(OCSFStatus, "Success")
	case "denied", "failed":
		d.put(OCSFStatusID, 2)
		d.put(OCSFStatus, "Failure")
	default:
		d.put(OCSFStatusID, 0)
		d.put(OCSFStatus, "Unknown")
	}
	if e.Result.Code != 0 {
		d.put(OCSFStatusCode, fmt.Sprint(e.Result.Code))
	}
	d.put(OCSFStatusDetail, e.Result.Reason)
	d.put(OCSFMessage, e.Summary)
	d.put(OCSFMetadataVersion, "1.3.0")
	d.put(OCSFMetadataProductName, "kube-audit-kafka")
	d.put(OCSFMetadataVendorName, "kube-audit-kafka")
	d.put(OCSFMetadataUID, string(ev.AuditID))
	d.put(OCSFMetadataLogName, "kube-apiserver-audit")
	d.put(OCSFActorUserName, ev.User.Username)
	d.put(OCSFActorUserUID, ev.User.UID)
	typ, typID := ocsfUserType(ev.User.Username)
	d.put(OCSFActorUserType, typ)
	d.put(OCSFActorUserTypeID, typID)
	if len(ev.User.Groups) > 0 {
		gs := make([]doc, len(ev.User.Groups))
		for i, g := range ev.User.Groups {
			gs[i] = doc{"name": g}
		}
		d.put(OCSFActorUserGroups, gs)
	}
	if e.Who.ImpersonatedUser != "" {
		// The authenticated user invoked the request as the impersonated one.
		d.put(OCSFActorInvokedBy, ev.User.Username)
		d.put(OCSFActorUserName, e.Who.ImpersonatedUser)
		d.put(OCSFActorUserUID, ev.ImpersonatedUser.UID)
	}
	d.put(OCSFAPIOperation, ev.Verb)
	d.put(OCSFAPIVersion, e.What.APIVersion)
	d.put(OCSFAPIGroupName, e.What.APIGroup)
	d.put(OCSFAPIServiceName, "kube-apiserver")
	d.put(OCSFAPIRequestUID, string(ev.AuditID))
	if e.Result.Code != 0 {
		d.put(OCSFAPIResponseCode, e.Result.Code)
	}
	if e.Result.Code >= 400 {
		d.put(OCSFAPIResponseError, e.Result.Reason)
		d.put(OCSFAPIResponseMessage, e.Result.Message)
	}
	if len(ev.SourceIPs) > 0 {
		d.put(OCSFSrcEndpointIP, ev.SourceIPs[0])
		d.put(OCSFSrcIntermediateIPs, ev.SourceIPs[1:])
	}
	path, query, _ := strings.Cut(ev.RequestURI, "?")
	d.put(OCSFHTTPRequestMethod, httpMethod(ev.Verb))
	d.put(OCSFHTTPRequestUA, ev.UserAgent)
	d.put(OCSFHTTPRequestURLPath, path)
	d.put(OCSFHTTPRequestURLQuery, query)
	if e.Result.Code != 0 {
		d.put(OCSFHTTPResponseCode, e.Result.Code)
	}
	if e.What.Resource != "" {
		r := doc{"type": resourceType(e)}
		r.put("name", e.What.Name)
		r.put("namespace", e.What.Namespace)
		if ev.ObjectRef != nil {
			r.put("uid", string(ev.ObjectRef.UID))
		}
		r.put("group.name", e.What.APIGroup)
		d.put(OCSFResources, []doc{r})
	}
	d.put(OCSFDstEndpointHostname, e.Node)
	if len(e.Attack) > 0 {
		atts := make([]doc, len(e.Attack))
		for i, t := range e.Attack {
			atts[i] = doc{"technique": doc{"uid": t}, "version": "v15"}
		}
		d.put(OCSFAttacks, atts)
	}
	d.put(OCSFUnmappedAudit, raw)
	d.put(OCSFUnmappedEnrichment, e)
	return d.appendJSON(dst, "ocsf")
}

// ocsfUserType classifies a Kubernetes user for OCSF actor.user.type_id:
// 1 User, 3 System, 99 Other (service accounts), 0 Unknown.
func ocsfUserType(name string) (string, int) {
	switch {
	case name == "":
		return "Unknown", 0
	case strings.HasPrefix(name, saPrefix):
		return "Service Account", 99
	case strings.HasPrefix(name, "system:"):
		return "System", 3
	}
	return "User", 1
}
