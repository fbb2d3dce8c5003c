package record

// Member is a top-level member of an audit event's JSON object: the fields
// of auditv1.Event in struct order (the order json.Marshal writes them),
// then MemberTimestamp, which v1beta1 events have and the v1 type has not.
type Member uint8

const (
	MemberKind Member = iota
	MemberAPIVersion
	MemberLevel
	MemberAuditID
	MemberStage
	MemberRequestURI
	MemberVerb
	MemberUser
	MemberImpersonatedUser
	MemberAuthenticationMetadata
	MemberSourceIPs
	MemberUserAgent
	MemberObjectRef
	MemberResponseStatus
	MemberRequestObject
	MemberResponseObject
	MemberRequestReceivedTimestamp
	MemberStageTimestamp
	MemberAnnotations
	MemberTimestamp
	// NumMembers is the number of members.
	NumMembers
)

// String returns the member's key.
func (m Member) String() string {
	if m >= NumMembers {
		return ""
	}
	return [NumMembers]string{"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user",
		"impersonatedUser", "authenticationMetadata", "sourceIPs", "userAgent", "objectRef", "responseStatus",
		"requestObject", "responseObject", "requestReceivedTimestamp", "stageTimestamp", "annotations", "timestamp"}[m]
}

// Members is a set of members.
type Members uint32

// AllMembers holds every member.
const AllMembers = Members(1)<<NumMembers - 1

// Add adds m to the set.
func (s *Members) Add(m Member) { *s |= 1 << m }

// Has reports whether m is in the set.
func (s Members) Has(m Member) bool { return s&(1<<m) != 0 }

// Span is where one top-level member is in an event's own bytes: its key
// (the opening quote) at Key, its value at Value up to End (exclusive).
// Key is 0 for a member the bytes do not have (the object's '{' is at 0).
type Span struct {
	Key, Value, End uint32
}

// Raw is an event exactly as it was logged (audit.DecodeRaw): its own
// bytes, one JSON object, and where each of its top-level members is in
// them. Bytes is nil when the decoder did not keep them. It is a value of
// fixed size: decoding event after event into a reused slice of Raw
// allocates nothing for it.
type Raw struct {
	Bytes []byte
	Spans [NumMembers]Span
}

// Has reports whether the bytes have member m.
func (r *Raw) Has(m Member) bool { return r.Spans[m].Key != 0 }
