package format

// The reference implementations of the ecs and ocsf formats: a tree of maps
// built from dotted paths and encoding/json's Encoder (the implementation
// before fmtDoc). TestFormatsMatchMapEncoding holds appendECS and
// appendOCSF to them byte for byte.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
)

// mapDoc is a JSON document built from dotted paths.
type mapDoc map[string]any

// put sets a dotted path, creating the objects on the way. Empty values are
// left out.
func (d mapDoc) put(path string, v any) {
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
		next, _ := m[head].(mapDoc)
		if next == nil {
			next = mapDoc{}
			m[head] = next
		}
		m, path = next, rest
	}
}

// appendJSON appends the document without HTML escaping ("&", "<", ">"
// stay as they are: the consumer is a SIEM, not a browser).
func (d mapDoc) appendJSON(dst []byte, format string) ([]byte, error) {
	b := bytes.NewBuffer(dst)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return dst, fmt.Errorf("encode %s: %w", format, err)
	}
	out := b.Bytes()
	return out[:len(out)-1], nil // Encode's newline
}

// eventJSON marshals the audit event (for embedding in another schema).
func eventJSON(ev *auditv1.Event) (json.RawMessage, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	return b, nil
}

func encodeECSMap(dst []byte, rec *record.Record) ([]byte, error) {
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
	d := mapDoc{}
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
	if len(ev.SourceIPs) > 0 && ValidIP(ev.SourceIPs[0]) {
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
	d.put(ECSHTTPRequestMethod, record.HTTPMethod(ev.Verb))
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
	d.put(ECSRelatedIP, validIPs(ev.SourceIPs))
	d.put(ECSRuleID, e.Rules)
	if len(e.Attack) > 0 {
		d.put(ECSThreatFramework, "MITRE ATT&CK")
		d.put(ECSThreatTechniqueID, e.Attack)
	}
	if len(rec.Images) > 0 {
		d.put(ECSContainerImageName, rec.Images)
	}
	d.put(ECSKubernetesAudit, raw)
	d.put(ECSEnrichment, e)
	return d.appendJSON(dst, "ecs")
}

func encodeOCSFMap(dst []byte, rec *record.Record) ([]byte, error) {
	ev, e := rec.Event, &rec.Enrichment
	evc := *ev // the bodies are api.request.data and api.response.data
	evc.RequestObject, evc.ResponseObject = nil, nil
	raw, err := eventJSON(&evc)
	if err != nil {
		return dst, err
	}
	const classUID, categoryUID = 6003, 6
	act, actName := OCSFActivity(ev.Verb)
	d := mapDoc{}
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
	switch o := e.Outcome(); o {
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
	d.put(OCSFMetadataVersion, "1.8.0")
	if len(e.Attack) > 0 {
		d.put(OCSFMetadataProfiles, []string{"security_control"})
	}
	d.put(OCSFMetadataProductName, "Kubernetes API server")
	d.put(OCSFMetadataVendorName, "Kubernetes")
	logger := mapDoc{"name": "kube-audit-kafka"}
	logger.put("version", loggerVersion)
	if !rec.Received.IsZero() {
		logger.put("logged_time", rec.Received.UnixMilli())
	}
	d.put(OCSFMetadataLoggers, []mapDoc{logger})
	d.put(OCSFMetadataUID, string(ev.AuditID))
	d.put(OCSFMetadataLogName, "kube-apiserver-audit")
	d.put(OCSFMetadataLogLevel, string(ev.Level))
	if ev.User.Username == "" && ev.User.UID == "" {
		d.put(OCSFActorUserName, "system:anonymous")
	}
	d.put(OCSFActorUserName, ev.User.Username)
	d.put(OCSFActorUserUID, ev.User.UID)
	typ, typID := ocsfUserType(ev.User.Username)
	d.put(OCSFActorUserType, typ)
	d.put(OCSFActorUserTypeID, typID)
	if len(ev.User.Groups) > 0 {
		gs := make([]mapDoc, len(ev.User.Groups))
		for i, g := range ev.User.Groups {
			gs[i] = mapDoc{"name": g}
		}
		d.put(OCSFActorUserGroups, gs)
	}
	d.put(OCSFAPIOperation, ev.Verb)
	d.put(OCSFAPIVersion, e.What.APIVersion)
	d.put(OCSFAPIGroupName, e.What.APIGroup)
	d.put(OCSFAPIServiceName, "kube-apiserver")
	d.put(OCSFAPIRequestUID, string(ev.AuditID))
	if ev.RequestObject != nil {
		b, err := json.Marshal(ev.RequestObject)
		if err != nil {
			return dst, err
		}
		d.put(OCSFAPIRequestData, json.RawMessage(b))
	}
	if e.Result.Code != 0 {
		d.put(OCSFAPIResponseCode, e.Result.Code)
	}
	if e.Result.Code >= 400 {
		d.put(OCSFAPIResponseError, e.Result.Reason)
		d.put(OCSFAPIResponseMessage, e.Result.Message)
	}
	if ev.ResponseObject != nil {
		b, err := json.Marshal(ev.ResponseObject)
		if err != nil {
			return dst, err
		}
		d.put(OCSFAPIResponseData, json.RawMessage(b))
	}
	var obs []mapDoc
	observe := func(name string, typeID int, caption, value string) {
		if value != "" {
			obs = append(obs, mapDoc{"name": name, "type": caption, "type_id": typeID, "value": value})
		}
	}
	observe("actor.user.name", 4, "User Name", ev.User.Username)
	observe("actor.user.uid", 31, "User uid", ev.User.UID)
	if len(ev.SourceIPs) == 0 {
		d.put(OCSFSrcEndpointName, "unknown")
	} else if ValidIP(ev.SourceIPs[0]) {
		d.put(OCSFSrcEndpointIP, ev.SourceIPs[0])
		observe("src_endpoint.ip", 2, "IP Address", ev.SourceIPs[0])
	} else {
		d.put(OCSFSrcEndpointName, ev.SourceIPs[0])
	}
	if len(ev.SourceIPs) > 1 {
		var inter []string
		for _, ip := range ev.SourceIPs[1:] {
			if ValidIP(ip) {
				inter = append(inter, ip)
				observe("src_endpoint.intermediate_ips", 2, "IP Address", ip)
			}
		}
		d.put(OCSFSrcIntermediateIPs, inter)
	}
	path, query, _ := strings.Cut(ev.RequestURI, "?")
	switch m := record.HTTPMethod(ev.Verb); m {
	case "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE":
		d.put(OCSFHTTPRequestMethod, m)
	}
	d.put(OCSFHTTPRequestUA, ev.UserAgent)
	d.put(OCSFHTTPRequestURLPath, path)
	d.put(OCSFHTTPRequestURLQuery, query)
	if e.Result.Code != 0 {
		d.put(OCSFHTTPResponseCode, e.Result.Code)
	}
	var rs []mapDoc
	if e.What.Resource != "" {
		r := mapDoc{"type": resourceType(e), "role": "Target", "role_id": 1}
		r.put("name", e.What.Name)
		r.put("namespace", e.What.Namespace)
		if ev.ObjectRef != nil {
			r.put("uid", string(ev.ObjectRef.UID))
		}
		if r["name"] == nil && r["uid"] == nil {
			if path != "" {
				r.put("name", path)
			} else {
				r.put("name", resourceType(e))
			}
		}
		r.put("group.name", e.What.APIGroup)
		rs = append(rs, r)
	}
	if iu := ev.ImpersonatedUser; iu != nil && (iu.Username != "" || iu.UID != "") {
		r := mapDoc{"type": "users", "role": "Actor", "role_id": 2}
		if strings.HasPrefix(iu.Username, "system:serviceaccount:") {
			r["type"] = "serviceaccounts"
		}
		r.put("name", iu.Username)
		r.put("uid", iu.UID)
		rs = append(rs, r)
	}
	for i, r := range rs {
		n, _ := r["name"].(string)
		u, _ := r["uid"].(string)
		observe(fmt.Sprintf("resources[%d].name", i), 38, "Resource Details name", n)
		observe(fmt.Sprintf("resources[%d].uid", i), 10, "Resource UID", u)
	}
	if len(rs) > 0 {
		d.put(OCSFResources, rs)
	}
	d.put(OCSFDstEndpointHostname, e.Node)
	if len(e.Attack) > 0 {
		atts := make([]mapDoc, len(e.Attack))
		for i, t := range e.Attack {
			atts[i] = mapDoc{"technique": mapDoc{"uid": t}, "version": "v15"}
			if parent, _, ok := strings.Cut(t, "."); ok {
				atts[i] = mapDoc{"technique": mapDoc{"uid": parent}, "sub_technique": mapDoc{"uid": t}, "version": "v15"}
			}
		}
		d.put(OCSFAttacks, atts)
	}
	if len(obs) > 0 {
		d.put(OCSFObservables, obs)
	}
	d.put(OCSFUnmappedAudit, raw)
	d.put(OCSFUnmappedEnrichment, e)
	return d.appendJSON(dst, "ocsf")
}
