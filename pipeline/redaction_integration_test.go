package pipeline_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/embedded"
	"github.com/kube-audit-kafka/kube-audit-kafka/internal/flbchunk"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// A RequestResponse event carrying a Secret with data (and the same Secret
// in last-applied-configuration), through the real pipeline into a real
// Kafka-protocol broker: no form of the secret reaches Kafka (values,
// keys, headers) nor the plugin's own log, for every redaction mode.
func TestSecretNeverReachesKafka(t *testing.T) {
	const (
		password = "Hq7vR2mXk9LpZt4WcN8sYb3D" // planted: never to be shipped
		token    = "Pz6yT1nQe5UjWa0KfG7hLr2V"
	)
	b64 := base64.StdEncoding.EncodeToString
	secret := `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db-creds","namespace":"prod","annotations":{"kubectl.kubernetes.io/last-applied-configuration":` +
		quote(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db-creds","namespace":"prod"},"data":{"password":"`+b64([]byte(password))+`"},"stringData":{"token":"`+token+`"}}`+"\n") +
		`}},"type":"Opaque","data":{"password":"` + b64([]byte(password)) + `"},"stringData":{"token":"` + token + `"}}`
	event := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0d9c6a44-5f3e-4c1b-9a57-2f1e0c3b7a11","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/prod/secrets?fieldManager=kubectl-client-side-apply","verb":"create","user":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},` +
		`"sourceIPs":["127.0.0.1"],"userAgent":"kubectl/v1.32.4","objectRef":{"resource":"secrets","namespace":"prod","name":"db-creds","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},` +
		`"requestObject":` + secret + `,"responseObject":` + secret + `,"requestReceivedTimestamp":"2026-11-22T01:00:00.000000Z","stageTimestamp":"2026-11-22T01:00:00.010000Z",` +
		`"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`
	forbidden := []string{password, token, b64([]byte(password)), b64([]byte(token))}
	for i := 0; i+8 <= len(password); i++ {
		forbidden = append(forbidden, password[i:i+8], token[i:i+8])
	}

	for _, props := range []map[string]string{
		{"redaction_mode": "mask"},
		{"redaction_mode": "hash", "redaction_hmac_key": "0123456789abcdef-hmac"},
		{"redaction_mode": "drop"},
	} {
		t.Run(props["redaction_mode"], func(t *testing.T) {
			b, err := embedded.Start(1, []string{"audit"})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			m := conf.MapGetter{"brokers": b.Addrs()[0], "topic": "audit", "log_level": "debug", "message_key": "audit_id"}
			for k, v := range props {
				m[k] = v
			}
			cfg, err := conf.Load(m)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			p, err := pipeline.Open(cfg, log)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close(time.Second)

			// Once as a tail line (log key), once as a structured record.
			var cw flbchunk.Writer
			cw.AddLine(time.Now(), "log", []byte(event))
			if err := cw.AddJSON(time.Now(), []byte(event)); err != nil {
				t.Fatal(err)
			}
			res := p.Flush(context.Background(), cw.Bytes())
			if res.Status != pipeline.OK || res.Shipped != 2 {
				t.Fatalf("flush: %v shipped %d dropped %v err %v", res.Status, res.Shipped, res.Dropped, res.Err)
			}
			recs, err := embedded.Consume(context.Background(), b.Addrs(), []string{"audit"}, 2, 5*time.Second)
			if err != nil || len(recs) != 2 {
				t.Fatalf("consumed %d: %v", len(recs), err)
			}
			for _, r := range recs {
				all := append(append([]byte{}, r.Value...), r.Key...)
				for _, h := range r.Headers {
					all = append(append(all, h.Key...), h.Value...)
				}
				for _, f := range forbidden {
					if bytes.Contains(all, []byte(f)) {
						t.Fatalf("secret form %.4s… reached Kafka:\n%s", f, r.Value)
					}
				}
				var msg struct {
					RequestObject struct {
						Metadata struct {
							Name string `json:"name"`
						} `json:"metadata"`
					} `json:"requestObject"`
					Enrichment struct {
						Redactions []string `json:"redactions"`
					} `json:"enrichment"`
				}
				if err := json.Unmarshal(r.Value, &msg); err != nil {
					t.Fatalf("message not JSON: %v", err)
				}
				if msg.RequestObject.Metadata.Name != "db-creds" {
					t.Fatalf("the Secret's name is evidence and must stay: %s", r.Value)
				}
				want := []string{"requestObject.data.password", "requestObject.stringData.token", `requestObject.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"].data.password`, "responseObject.data.password"}
				for _, w := range want {
					if !strings.Contains(strings.Join(msg.Enrichment.Redactions, "\n"), w) {
						t.Fatalf("redactions %q lack %s", msg.Enrichment.Redactions, w)
					}
				}
			}
			for _, f := range forbidden {
				if strings.Contains(logs.String(), f) {
					t.Fatalf("secret in the plugin's log:\n%s", logs.String())
				}
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
