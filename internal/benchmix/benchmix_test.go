package benchmix

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/klauspost/compress/zstd"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func TestMixIsDeterministicRealisticAndValid(t *testing.T) {
	c, err := LoadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	a, b := c.Generate(Default(), n), c.Generate(Default(), n)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("event %d differs between two runs with the same seed", i)
		}
	}
	other := Default()
	other.Seed = 2
	if bytes.Equal(c.Generate(other, 1)[0], a[0]) {
		t.Fatal("another seed gives the same first event")
	}

	s := Describe(a)
	t.Logf("default mix: %v", s)
	if got := float64(s.ByLevel["Metadata"]) / n; got < 0.7 || got > 0.9 {
		t.Errorf("Metadata share %.2f, want about 0.8", got)
	}
	if s.ByLevel["Request"] == 0 || s.ByLevel["RequestResponse"] == 0 {
		t.Errorf("no Request or RequestResponse events: %v", s.ByLevel)
	}
	var large, meta, metaSmall int
	ids := map[string]bool{}
	for i, e := range a {
		var ev auditv1.Event
		if err := json.Unmarshal(e, &ev); err != nil {
			t.Fatalf("event %d is not an audit event: %v", i, err)
		}
		if ev.AuditID == "" || ev.Stage != auditv1.StageResponseComplete || ev.RequestReceivedTimestamp.IsZero() {
			t.Fatalf("event %d lacks an id, stage or time: %s", i, e[:200])
		}
		ids[string(ev.AuditID)] = true
		if len(e) >= 100<<10 {
			large++
			if ev.ResponseObject == nil || !json.Valid(ev.ResponseObject.Raw) {
				t.Fatalf("large event %d has no valid response body", i)
			}
		}
		if ev.Level == auditv1.LevelMetadata {
			meta++
			if len(e) >= 400 && len(e) <= 1400 {
				metaSmall++
			}
		}
	}
	if len(ids) != n {
		t.Errorf("%d distinct audit ids in %d events", len(ids), n)
	}
	if large != n/Default().LargeEvery {
		t.Errorf("%d events of 100+ KB, want %d", large, n/Default().LargeEvery)
	}
	if metaSmall < meta*9/10 {
		t.Errorf("only %d of %d Metadata events are about 0.5–1 KB", metaSmall, meta)
	}
	// Not unrealistically compressible: real audit streams compress about
	// 8–15×; a stream of near-identical events would compress far more.
	var all []byte
	for _, e := range a {
		all = append(append(all, e...), '\n')
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	ratio := float64(len(all)) / float64(len(enc.EncodeAll(all, nil)))
	t.Logf("zstd ratio of the whole mix: %.1f", ratio)
	if ratio > 40 {
		t.Errorf("the mix compresses %.1f×: too repetitive to be realistic", ratio)
	}
}
