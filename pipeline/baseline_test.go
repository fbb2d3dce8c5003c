package pipeline_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/ugorji/go/codec"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/record"
	"github.com/kube-audit-kafka/kube-audit-kafka/output"
)

// The baseline of BenchmarkFlushBaseline: how a Go output plugin is usually
// written. fluent-bit-go's decoder (allowed only in plugin/) is
// github.com/ugorji/go/codec with an extension for EventTime; this is the
// same decoder, built the same way, so the comparison is with the real thing.

// flbTime is fluent-bit-go's FLBTime extension.
type flbTime struct{ time.Time }

func (f flbTime) WriteExt(interface{}) []byte { panic("unsupported") }
func (f flbTime) ReadExt(i interface{}, b []byte) {
	out := i.(*flbTime)
	out.Time = time.Unix(int64(binary.BigEndian.Uint32(b)), int64(binary.BigEndian.Uint32(b[4:])))
}
func (f flbTime) ConvertExt(v interface{}) interface{}      { return nil }
func (f flbTime) UpdateExt(dest interface{}, v interface{}) { panic("unsupported") }

type baseline struct {
	cfg *conf.Config
	enr *enrich.Enricher
}

func newBaseline(cfg *conf.Config) (*baseline, error) {
	enr, err := enrich.New(cfg.Enrich, cfg.Redact)
	if err != nil {
		return nil, err
	}
	return &baseline{cfg: cfg, enr: enr}, nil
}

// baselineMessage is the native format: the event with the enrichment added.
type baselineMessage struct {
	*auditv1.Event
	Enrichment *record.Enrichment `json:"enrichment"`
}

// flush is the obvious flush: decode each record into generic maps, convert
// them to map[string]interface{}, take the log key's string, json.Unmarshal
// it into the audit model, enrich, json.Marshal, write.
func (bl *baseline) flush(chunk []byte, sink *compressSink) (int, error) {
	h := new(codec.MsgpackHandle)
	if err := h.SetBytesExt(reflect.TypeOf(flbTime{}), 0, &flbTime{}); err != nil {
		return 0, err
	}
	data := bytes.Clone(chunk) // C.GoBytes in fluent-bit-go's NewDecoder
	dec := codec.NewDecoderBytes(data, h)
	var msgs []output.Message
	for {
		var m interface{}
		if err := dec.Decode(&m); err != nil {
			break // end of chunk (fluent-bit-go returns -1 for both)
		}
		slice, ok := m.([]interface{})
		if !ok || len(slice) != 2 {
			return 0, errors.New("record is not [ts, map]")
		}
		rec, ok := slice[1].(map[interface{}]interface{})
		if !ok {
			return 0, errors.New("record body is not a map")
		}
		fields := toStringMap(rec)
		line, ok := fields[bl.cfg.Input.LogKey].(string)
		if !ok {
			return 0, fmt.Errorf("no %q string in the record", bl.cfg.Input.LogKey)
		}
		var ev auditv1.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			continue
		}
		r, drop := bl.enr.Enrich(&ev)
		if drop != enrich.DropNone {
			continue
		}
		v, err := json.Marshal(baselineMessage{Event: r.Event, Enrichment: &r.Enrichment})
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, output.Message{Value: v, AuditID: string(ev.AuditID), Severity: r.Enrichment.Severity,
			User: ev.User.Username, Namespace: r.Enrichment.What.Namespace})
	}
	return len(msgs), sink.Write(context.Background(), msgs)
}

// toStringMap is the usual conversion of a fluent-bit-go record.
func toStringMap(in map[interface{}]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(in))
	for k, v := range in {
		var key string
		switch k := k.(type) {
		case string:
			key = k
		case []byte:
			key = string(k)
		default:
			key = fmt.Sprint(k)
		}
		out[key] = toStringValue(v)
	}
	return out
}

func toStringValue(v interface{}) interface{} {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case map[interface{}]interface{}:
		return toStringMap(v)
	case []interface{}:
		out := make([]interface{}, len(v))
		for i, e := range v {
			out[i] = toStringValue(e)
		}
		return out
	}
	return v
}
