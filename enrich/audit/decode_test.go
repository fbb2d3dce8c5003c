package audit

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func TestDecodeV1(t *testing.T) {
	evs := decodeFile(t, labLog)
	if len(evs) != 620 {
		t.Fatalf("lab log: %d events, want 620", len(evs))
	}
	stages := map[auditv1.Stage]int{}
	for _, ev := range evs {
		stages[ev.Stage]++
		if ev.APIVersion != "audit.k8s.io/v1" || ev.Kind != "Event" {
			t.Fatalf("event %s: %s %s", ev.AuditID, ev.APIVersion, ev.Kind)
		}
	}
	// Counts from the log's README.
	if stages[auditv1.StageResponseComplete] != 611 || stages[auditv1.StageResponseStarted] != 9 {
		t.Errorf("stages %v", stages)
	}
}

func TestDecodeV1beta1(t *testing.T) {
	ev := line(t, "../testdata/public_samples.jsonl", 1)
	if ev.APIVersion != "audit.k8s.io/v1" {
		t.Errorf("apiVersion %q, want audit.k8s.io/v1", ev.APIVersion)
	}
	if ev.RequestReceivedTimestamp.IsZero() || ev.RequestReceivedTimestamp.UTC().Format("2006-01-02T15:04:05Z") != "2017-09-11T19:55:05Z" {
		t.Errorf("v1beta1 timestamp not mapped: %v", ev.RequestReceivedTimestamp)
	}
	if ev.ImpersonatedUser == nil || ev.ImpersonatedUser.Username != "bob" {
		t.Errorf("impersonatedUser %+v", ev.ImpersonatedUser)
	}
	if ev.ResponseStatus == nil || ev.ResponseStatus.Code != 403 {
		t.Errorf("responseStatus %+v", ev.ResponseStatus)
	}
	rr := line(t, "../testdata/public_samples.jsonl", 4)
	if rr.Stage != auditv1.StageRequestReceived || rr.ResponseStatus != nil {
		t.Errorf("RequestReceived: %s %+v", rr.Stage, rr.ResponseStatus)
	}
}

func TestDecodeWithoutAPIVersionOrLevel(t *testing.T) {
	// Falco's fixtures lack apiVersion (38 of them) and some the level.
	evs := decodeFile(t, "../testdata/falco_trace_files.jsonl")
	if len(evs) != 51 {
		t.Fatalf("%d events, want 51", len(evs))
	}
	for _, ev := range evs {
		if ev.APIVersion != "audit.k8s.io/v1" || ev.Level == "" {
			t.Errorf("%s: apiVersion %q level %q", ev.AuditID, ev.APIVersion, ev.Level)
		}
	}
}

func TestDecodeEventList(t *testing.T) {
	// A webhook batch: real events of the lab log, in an EventList, one of
	// them v1beta1 from the 2017 sample.
	lines := readLines(t, labLog)[:3]
	beta := readLines(t, "../testdata/public_samples.jsonl")[0]
	var b bytes.Buffer
	b.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	for _, l := range append(lines, beta) {
		b.Write(l)
		b.WriteByte(',')
	}
	b.Truncate(b.Len() - 1)
	b.WriteString(`]}`)
	prefix := []auditv1.Event{{AuditID: "keep"}}
	evs, err := Decode(b.Bytes(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 || evs[0].AuditID != "keep" {
		t.Fatalf("got %d events", len(evs))
	}
	for i, l := range lines {
		want, _ := Decode(l, nil)
		if evs[i+1].AuditID != want[0].AuditID || evs[i+1].Stage != want[0].Stage {
			t.Errorf("item %d: %s, want %s", i, evs[i+1].AuditID, want[0].AuditID)
		}
	}
	if evs[4].RequestReceivedTimestamp.IsZero() || evs[4].APIVersion != "audit.k8s.io/v1" {
		t.Errorf("v1beta1 item not normalised: %+v", evs[4].RequestReceivedTimestamp)
	}
	// An empty list is valid and yields nothing.
	evs, err = Decode([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`), nil)
	if err != nil || len(evs) != 0 {
		t.Errorf("empty list: %v %d", err, len(evs))
	}
	// A list whose every item is bad yields none of them, and says so.
	bad := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","stage":"ResponseComplete"},{"kind":"Pod"}]}`
	evs, err = Decode([]byte(bad), prefix)
	var bi *BadItemsError
	if !errors.Is(err, ErrNotAudit) || !errors.As(err, &bi) || bi.Bad != 2 || bi.Total != 2 || len(evs) != 1 {
		t.Errorf("bad items: %v, %d events", err, len(evs))
	}
	// A document that is not JSON is refused whole, dst as it was.
	evs, err = Decode([]byte(`{"kind":"EventList","items":[`+string(lines[0])), prefix)
	if !errors.Is(err, ErrNotAudit) || errors.As(err, &bi) || len(evs) != 1 {
		t.Errorf("broken list: %v, %d events", err, len(evs))
	}
}

// One bad item in a webhook EventList costs that item only: the good items
// before and after it come out, and the error counts the bad one without
// quoting it.
func TestDecodeEventListKeepsGoodItems(t *testing.T) {
	lines := readLines(t, labLog)[:2]
	const secret = "hunter2-in-a-bad-item"
	for name, badItem := range map[string]string{
		"no auditID":  `{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","verb":"` + secret + `"}`,
		"wrong type":  `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":"ResponseComplete","user":"` + secret + `"}`,
		"other kind":  `{"kind":"Secret","apiVersion":"v1","data":{"k":"` + secret + `"}}`,
		"not object":  `"` + secret + `"`,
		"null":        `null`,
		"wrong stage": `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":"Later","verb":"` + secret + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			doc := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + string(lines[0]) + `,` + badItem + `,` + string(lines[1]) + `]}`
			for _, fast := range []bool{true, false} {
				prefix := []auditv1.Event{{AuditID: "keep"}}
				evs, err := decodeEvents([]byte(doc), prefix, fast)
				var bi *BadItemsError
				if !errors.As(err, &bi) || !errors.Is(err, ErrNotAudit) || bi.Bad != 1 || bi.Total != 3 {
					t.Fatalf("fast %v: want a BadItemsError for 1 of 3, got %v", fast, err)
				}
				if !strings.Contains(err.Error(), "item 1") || strings.Contains(err.Error(), secret) {
					t.Fatalf("error should name item 1 and not quote it: %v", err)
				}
				if len(evs) != 3 || evs[0].AuditID != "keep" {
					t.Fatalf("fast %v: %d events", fast, len(evs))
				}
				for i, l := range lines {
					want, _ := Decode(l, nil)
					if !reflect.DeepEqual(evs[i+1], want[0]) {
						t.Fatalf("fast %v: good item %d differs from the same event decoded alone", fast, i)
					}
				}
			}
		})
	}
}

func TestDecodeAllStages(t *testing.T) {
	base := readLines(t, labLog)[0]
	for _, st := range []auditv1.Stage{auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic} {
		doc := bytes.Replace(base, []byte(`"stage":"ResponseComplete"`), []byte(`"stage":"`+st+`"`), 1)
		evs, err := Decode(doc, nil)
		if err != nil || len(evs) != 1 || evs[0].Stage != st {
			t.Errorf("stage %s: %v", st, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	secret := "hunter2-very-secret"
	for name, doc := range map[string]string{
		"empty":          ``,
		"not json":       `hello ` + secret,
		"array":          `[{"auditID":"a"}]`,
		"broken":         `{"auditID":"a","stage":"ResponseComplete","verb":"` + secret,
		"other kind":     `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"` + secret + `"}}`,
		"other version":  `{"kind":"Event","apiVersion":"audit.k8s.io/v2","auditID":"a","stage":"ResponseComplete"}`,
		"no auditID":     `{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete"}`,
		"no stage":       `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a"}`,
		"unknown stage":  `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"Later"}`,
		"unknown level":  `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"Panic","level":"Everything"}`,
		"wrong type":     `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"Panic","user":"` + secret + `"}`,
		"items in event": `{"kind":"Event","auditID":"a","stage":"Panic","items":[]}`,
		"fluent record":  `{"log":"` + secret + `","stream":"stdout"}`,
	} {
		evs, err := Decode([]byte(doc), nil)
		if !errors.Is(err, ErrNotAudit) {
			t.Errorf("%s: err %v, want ErrNotAudit", name, err)
		}
		if len(evs) != 0 {
			t.Errorf("%s: %d events", name, len(evs))
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error quotes the input: %v", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, l := range readLines(f, "../testdata/falco_trace_files.jsonl")[:10] {
		f.Add(l)
	}
	for _, l := range readLines(f, "../testdata/public_samples.jsonl") {
		f.Add(l)
	}
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","stage":"Panic"}]}`))
	f.Add([]byte(`{"kind":0}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		evs, err := Decode(doc, nil)
		if err != nil {
			if !errors.Is(err, ErrNotAudit) {
				t.Fatalf("error %v does not wrap ErrNotAudit", err)
			}
			if len(evs) != 0 {
				t.Fatalf("%d events with an error", len(evs))
			}
			return
		}
		for i := range evs {
			if evs[i].AuditID == "" || evs[i].APIVersion != "audit.k8s.io/v1" {
				t.Fatalf("event without auditID or not normalised")
			}
			var v View
			NewView(&evs[i], &v)
			_ = v.Body() // the body's parse never fails or panics
		}
	})
}

// TestDecodeLiggittV1beta1 decodes the whole 2017 v1beta1 capture (counts
// from SOURCES.md) when ../shared is present.
func TestDecodeLiggittV1beta1(t *testing.T) {
	dir := publicCorpus(t)
	evs := decodeFile(t, filepath.Join(dir, "liggitt-audit2rbac_demo_v1beta1_2017.jsonl"))
	stages := map[auditv1.Stage]int{}
	impersonated, forbidden := 0, 0
	for _, ev := range evs {
		stages[ev.Stage]++
		if ev.ImpersonatedUser != nil {
			impersonated++
		}
		if ev.ResponseStatus != nil && ev.ResponseStatus.Code == 403 {
			forbidden++
		}
		if ev.RequestReceivedTimestamp.IsZero() || ev.APIVersion != "audit.k8s.io/v1" {
			t.Fatalf("%s: not normalised", ev.AuditID)
		}
	}
	if len(evs) != 757 || stages[auditv1.StageRequestReceived] != 320 || stages[auditv1.StageResponseComplete] != 437 || forbidden != 11 || impersonated == 0 {
		t.Errorf("%d events, stages %v, %d forbidden, %d impersonated", len(evs), stages, forbidden, impersonated)
	}
}
