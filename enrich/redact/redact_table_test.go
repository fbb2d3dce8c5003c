package redact_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/kube-audit-kafka/kube-audit-kafka/enrich"
)

type tcase struct {
	name    string
	doc     []byte
	secrets []string // must not appear, in any form
	keep    []string // must appear unchanged
	paths   []string // must be listed in enrichment.redactions (mask mode)
}

const cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVQdWJsaWNPbmx5MAoGCCqGSM49BAMC\n-----END CERTIFICATE-----\n"

func pemKey(body string) string {
	return "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA" + body + "\n-----END RSA PRIVATE KEY-----\n"
}

func jwt(r *rnd) string {
	return "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzIiwic3ViIjoi" + r.str(30) + "." + r.str(40)
}

func container(env string) string {
	return `{"name":"app","image":"quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:f79b93c4a3a1e1c5d3a9a5b0c8e5e0d1b2c3d4e5f60718293a4b5c6d7e8f9012","env":[` + env + `]}`
}

func cases() []tcase {
	r := newRnd(1)
	var cs []tcase
	add := func(c tcase) { cs = append(cs, c) }

	{ // Secret create: data (base64) and stringData, request and response.
		s1, s2, s3 := r.str(24), r.str(24), r.str(24)
		obj := `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db-creds","namespace":"prod"},"type":"Opaque","data":{"password":` + js(b64(s1)) + `,"ca.crt":` + js(b64(cert)) + `},"stringData":{"api-token":` + js(s2) + `,"x":` + js(s3) + `}}`
		add(tcase{name: "secret create", doc: ev{Resource: "secrets", Req: obj, Resp: obj}.JSON(), secrets: []string{s1, s2, s3},
			keep:  []string{`"db-creds"`, `"password"`, `"api-token"`, js(b64(cert))},
			paths: []string{"requestObject.data.password", "requestObject.stringData.api-token", "requestObject.stringData.x", "responseObject.data.password"}})
	}
	{ // SecretList items have no kind.
		s1, s2 := r.str(20), r.str(30)
		list := `{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a"},"data":{"k":` + js(b64(s1)) + `}},{"metadata":{"name":"b"},"data":{".dockerconfigjson":` + js(b64(`{"auths":{"r.io":{"auth":"`+b64("u:"+s2)+`"}}}`)) + `}}]}`
		add(tcase{name: "secret list", doc: ev{Resource: "secrets", Verb: "list", Resp: list}.JSON(), secrets: []string{s1, s2, b64("u:" + s2)},
			keep: []string{`"a"`, `"b"`}, paths: []string{"responseObject.items[0].data.k", `responseObject.items[1].data[".dockerconfigjson"]`}})
	}
	{ // Watch event.
		s1 := r.str(22)
		w := `{"type":"ADDED","object":{"kind":"Secret","apiVersion":"v1","metadata":{"name":"w"},"data":{"tls.key":` + js(b64(pemKey(s1))) + `,"tls.crt":` + js(b64(cert)) + `}}}`
		add(tcase{name: "watch event", doc: ev{Resource: "secrets", Verb: "watch", Resp: w}.JSON(), secrets: []string{s1, pemKey(s1)}, paths: []string{"responseObject.object.data[\"tls.key\"]"}})
	}
	{ // JSON patch on a Secret.
		s1, s2, s3 := r.str(20), r.str(20), r.str(20)
		p := `[{"op":"add","path":"/data/password","value":` + js(b64(s1)) + `},{"op":"replace","path":"/data","value":{"x":` + js(b64(s2)) + `}},{"op":"test","path":"/stringData/a","value":` + js(s3) + `},{"op":"remove","path":"/data/old"}]`
		add(tcase{name: "json patch secret", doc: ev{Resource: "secrets", Verb: "patch", Req: p}.JSON(), secrets: []string{s1, s2, s3},
			keep: []string{`"/data/password"`, `"/data/old"`}, paths: []string{"requestObject[0].value", "requestObject[1].value.x", "requestObject[2].value"}})
	}
	{ // Merge patch and strategic merge patch: no kind, the resource says.
		s1, s2 := r.str(20), r.str(20)
		add(tcase{name: "merge patch secret", doc: ev{Resource: "secrets", Verb: "patch", Req: `{"data":{"password":` + js(b64(s1)) + `,"gone":null}}`}.JSON(), secrets: []string{s1}, paths: []string{"requestObject.data.password"}})
		add(tcase{name: "strategic merge patch secret", doc: ev{Resource: "secrets", Verb: "patch", Req: `{"$patch":"merge","metadata":{"labels":{"tier":"db"}},"stringData":{"pw":` + js(s2) + `}}`}.JSON(), secrets: []string{s2}, keep: []string{`"tier":"db"`}})
	}
	{ // Server-side apply body.
		s1 := r.str(26)
		add(tcase{name: "apply secret", doc: ev{Resource: "secrets", Verb: "patch", URI: "/api/v1/namespaces/prod/secrets/db?fieldManager=kubectl&force=true",
			Req: `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"stringData":{"conn":` + js("host=db user=app password="+s1) + `}}`}.JSON(), secrets: []string{s1}})
	}
	{ // Status echoing a Secret value, in the body and in responseStatus.
		s1 := r.str(18)
		st := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Secret \"db\" is invalid: data[pass word]: Invalid value: \"` + s1 + `\": a valid config key must consist of alphanumeric characters","reason":"Invalid","details":{"name":"db","kind":"secrets","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"` + s1 + `\": bad","field":"data[pass word]"}]},"code":422}`
		add(tcase{name: "status echo", doc: ev{Resource: "secrets", Resp: st, StatusMessage: "Secret \"db\" is invalid: Invalid value: \"" + s1 + "\": bad"}.JSON(), secrets: []string{s1}, keep: []string{"FieldValueInvalid", "is invalid"}})
	}
	{ // last-applied-configuration: Secret inside, parsed and redacted; and an unparsable one.
		s1, s2, s3 := r.str(20), r.str(20), r.str(20)
		inner := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"prod"},"data":{"password":"` + b64(s1) + `"}}`
		obj := `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + js(inner+"\n") + `}},"data":{"password":` + js(b64(s2)) + `}}`
		add(tcase{name: "last-applied secret", doc: ev{Resource: "secrets", Verb: "patch", Req: obj, Resp: obj}.JSON(), secrets: []string{s1, s2},
			keep:  []string{`kubectl.kubernetes.io/last-applied-configuration`, `\"name\":\"db\"`},
			paths: []string{`requestObject.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"].data.password`}})
		dep := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + js(`{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"DB_PASSWORD","value":"`+s3+`"}]}]}}}}`) + `}}}`
		add(tcase{name: "last-applied deployment env", doc: ev{Resource: "deployments", Group: "apps", Req: dep}.JSON(), secrets: []string{s3}})
		bad := `{"kind":"ConfigMap","metadata":{"name":"x","annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + js(`{"kind":"Secret","data":{"a":"`+r.str(4)+`"} broken `+s1) + `}}}`
		add(tcase{name: "last-applied unparsable", doc: ev{Resource: "configmaps", Req: bad}.JSON(), secrets: []string{s1, "broken"}})
	}
	{ // kubectl apply on a Secret: a strategic merge patch carrying the new
		// last-applied annotation; and the same annotation set by JSON patch.
		s1, s2, s3 := r.str(20), r.str(20), r.str(20)
		la := js(`{"apiVersion":"v1","data":{"password":"` + b64(s1) + `"},"kind":"Secret","metadata":{"annotations":{},"name":"db","namespace":"prod"},"type":"Opaque"}` + "\n")
		add(tcase{name: "kubectl apply patch", doc: ev{Resource: "secrets", Verb: "patch", URI: "/api/v1/namespaces/prod/secrets/db?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
			Req: `{"data":{"password":` + js(b64(s2)) + `},"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` + la + `}}}`}.JSON(),
			secrets: []string{s1, s2}, keep: []string{"fieldManager=kubectl-client-side-apply"}})
		add(tcase{name: "json patch last-applied", doc: ev{Resource: "configmaps", Verb: "patch",
			Req: `[{"op":"replace","path":"/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration","value":` + js(`{"kind":"ConfigMap","data":{"db_password":"`+s3+`","color":"blue-green-x"}}`) + `}]`}.JSON(),
			secrets: []string{s3}, keep: []string{`blue-green-x`}, paths: []string{"requestObject[0].value.data.db_password"}})
	}
	{ // TokenReview and TokenRequest.
		t1, t2 := jwt(r), jwt(r)
		add(tcase{name: "tokenreview", doc: ev{Resource: "tokenreviews", Group: "authentication.k8s.io", URI: "/apis/authentication.k8s.io/v1/tokenreviews",
			Req:  `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":` + js(t1) + `}}`,
			Resp: `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":` + js(t1) + `},"status":{"authenticated":true,"user":{"username":"system:serviceaccount:prod:app"}}}`}.JSON(),
			secrets: []string{t1}, keep: []string{"system:serviceaccount:prod:app"}, paths: []string{"requestObject.spec.token", "responseObject.spec.token"}})
		add(tcase{name: "tokenrequest", doc: ev{Resource: "serviceaccounts", Sub: "token", URI: "/api/v1/namespaces/prod/serviceaccounts/app/token",
			Req:  `{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["https://kubernetes.default.svc"],"expirationSeconds":3600}}`,
			Resp: `{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["https://kubernetes.default.svc"]},"status":{"token":` + js(t2) + `,"expirationTimestamp":"2026-11-22T02:00:00Z"}}`}.JSON(),
			secrets: []string{t2}, keep: []string{"2026-11-22T02:00:00Z", "https://kubernetes.default.svc"}, paths: []string{"responseObject.status.token"}})
	}
	{ // requestURI query tokens.
		s1, s2, s3 := r.str(32), r.str(32), jwt(r)
		add(tcase{name: "uri tokens", doc: ev{Resource: "pods", Verb: "watch", Level: "Metadata",
			URI: "/api/v1/namespaces/prod/pods?access_token=" + s1 + "&watch=true&token=" + s2 + "&x=Bearer%20" + s3}.JSON(),
			secrets: []string{s1, s2, s3}, keep: []string{"watch=true"}, paths: []string{"requestURI.query.access_token", "requestURI.query.token"}})
		// Parameters that carry a credential in URLs without being named
		// like one (a proxied app's login, a presigned URL); short values
		// (?code=200) stay.
		s4, s5, s6, s7 := r.str(24), r.str(32), r.str(20), r.str(12)
		add(tcase{name: "uri proxy params", doc: ev{Resource: "services", Sub: "proxy", Verb: "get", Level: "Metadata",
			URI: "/api/v1/namespaces/prod/services/app:8080/proxy/cb?code=" + s4 + "&state=abc&X-Amz-Signature=" + s5 + "&key=" + s6 + "&sessionid=" + s7 + "&status=code&key=short"}.JSON(),
			secrets: []string{s4, s5, s6, s7}, keep: []string{"state=abc", "status=code", "key=short"},
			paths: []string{"requestURI.query.code", "requestURI.query.X-Amz-Signature", "requestURI.query.key", "requestURI.query.sessionid"}})
	}
	{ // pwd: a password in a body or JSON text; PWD, the working directory, keeps its path.
		s1, s2 := r.str(16), r.str(16)
		add(tcase{name: "pwd", doc: ev{Resource: "configmaps", Verb: "create", URI: "/api/v1/namespaces/prod/configmaps",
			Req: `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"app"},"data":{"config.json":"{\"db\":{\"user\":\"app\",\"pwd\":\"` + s1 + `\"}}","app.env":"PWD=/srv/app\nHOME=/root"}}`}.JSON(),
			secrets: []string{s1}, keep: []string{`PWD=/srv/app`, `\"user\":\"app\"`}})
		add(tcase{name: "pwd in a spec", doc: ev{Resource: "pods", Verb: "create", URI: "/api/v1/namespaces/prod/pods",
			Req: `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","env":[{"name":"PWD","value":"/workspace"},{"name":"OLDPWD","value":"/"}]}],"db":{"pwd":` + js(s2) + `}}}`}.JSON(),
			secrets: []string{s2}, keep: []string{`"value":"/workspace"`, `"value":"/"`}, paths: []string{"requestObject.spec.db.pwd"}})
	}
	{ // exec / attach command arguments.
		s1, s2, s3, s4 := r.str(16), r.str(16), r.str(16), r.str(16)
		uri := "/api/v1/namespaces/prod/pods/db-0/exec?command=mysql&command=-uroot&command=--password%3D" + s1 + "&command=--token&command=" + s2 +
			"&command=sh&command=-c&command=PASSWORD%3D" + s3 + "+env&command=export+API_KEY%3D" + s4 + "&container=db&stdin=true&tty=true"
		add(tcase{name: "exec command", doc: ev{Resource: "pods", Sub: "exec", Verb: "create", Level: "Metadata", URI: uri}.JSON(),
			secrets: []string{s1, s2, s3, s4}, keep: []string{"command=mysql", "container=db", "command=--token"}, paths: []string{"requestURI.query.command[2]", "requestURI.query.command[4]"}})
		add(tcase{name: "attach command", doc: ev{Resource: "pods", Sub: "attach", Verb: "create", Level: "Metadata", URI: "/api/v1/namespaces/prod/pods/p/attach?command=login&command=--password&command=" + s1 + "&stdin=true"}.JSON(),
			secrets: []string{s1}})
	}
	{ // Container env in pods and every workload template.
		envs := func() (string, []string) {
			var secs []string
			var parts []string
			for _, name := range []string{"DB_PASSWORD", "MYSQL_ROOT_PASSWD", "APP_SECRET", "GITHUB_TOKEN", "STRIPE_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "SSH_PRIVATE_KEY", "VAULT_CREDENTIALS", "db_pwd", "BASIC_AUTH"} {
				s := r.str(20)
				secs = append(secs, s)
				parts = append(parts, `{"name":"`+name+`","value":"`+s+`"}`)
			}
			parts = append(parts, `{"name":"LOG_LEVEL","value":"debug-verbose"}`, `{"name":"IMAGE_OAUTH_SERVER","value":"quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:36e2f7aa"}`,
				`{"name":"DB_PASSWORD_FILE","value":"/run/secrets/db-password"}`, `{"name":"PWD","value":"/home/app/work"}`,
				`{"name":"TOKEN_REF","valueFrom":{"secretKeyRef":{"name":"app-token-secret","key":"token"}}}`)
			return strings.Join(parts, ","), secs
		}
		type wl struct{ kind, group, res, wrap string }
		for _, w := range []wl{
			{"Pod", "", "pods", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"initContainers":[%[2]s],"containers":[%[1]s],"volumes":[{"name":"t","secret":{"secretName":"default-token-g2sp7"}}]}}`},
			{"Deployment", "apps", "deployments", `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[%[1]s],"initContainers":[%[2]s]}}}}`},
			{"StatefulSet", "apps", "statefulsets", `{"kind":"StatefulSet","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[%[1]s,%[2]s]}}}}`},
			{"DaemonSet", "apps", "daemonsets", `{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[%[1]s],"ephemeralContainers":[%[2]s]}}}}`},
			{"ReplicaSet", "apps", "replicasets", `{"kind":"ReplicaSet","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[%[1]s,%[2]s]}}}}`},
			{"Job", "batch", "jobs", `{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[%[1]s,%[2]s]}}}}`},
			{"CronJob", "batch", "cronjobs", `{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"d"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[%[1]s,%[2]s]}}}}}}`},
		} {
			e1, s1 := envs()
			e2, s2 := envs()
			obj := fmt.Sprintf(w.wrap, container(e1), strings.Replace(container(e2), `"app"`, `"init"`, 1))
			keep := []string{}
			if w.kind == "Pod" {
				keep = append(keep, "default-token-g2sp7")
			}
			add(tcase{name: "env " + w.kind, doc: ev{Resource: w.res, Group: w.group, Req: obj, Resp: obj}.JSON(), secrets: append(s1, s2...),
				keep: []string{"debug-verbose", "ocp-v4.0-art-dev@sha256:36e2f7aa", "/run/secrets/db-password", "/home/app/work", "app-token-secret", "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:f79b93"}})
			cs[len(cs)-1].keep = append(cs[len(cs)-1].keep, keep...)
		}
		// A JSON patch adding env entries, by index and by value.
		s1, s2 := r.str(20), r.str(20)
		p := `[{"op":"add","path":"/spec/template/spec/containers/0/env/-","value":{"name":"DB_PASSWORD","value":"` + s1 + `"}},{"op":"replace","path":"/spec/template/spec/containers/0/env/3/value","value":"` + s2 + `"}]`
		add(tcase{name: "json patch env", doc: ev{Resource: "deployments", Group: "apps", Verb: "patch", Req: p}.JSON(), secrets: []string{s1, s2}})
	}
	{ // ConfigMap: credential keys, credential lines, binaryData, CA bundles stay.
		s1, s2, s3, s4, s5, s6 := r.str(20), r.str(20), r.str(20), r.str(20), r.str(20), r.str(8)
		cm := `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cfg"},"data":{"db.password":` + js(s1) + `,"api_key":` + js(s2) +
			`,"access.properties":` + js("aws_access_key_id = AKIA"+strings.ToUpper(r.str(16))+"\naws_secret_access_key = "+s3+"\npassphrase: "+s6+"\ncolor.good=purple\n") +
			`,"ui.properties":"color.good=purple\ncolor.bad=yellow\nallow.textmode=true\n","ca-bundle.crt":` + js(cert) + `,"service-ca.crt":` + js(cert) + `},` +
			`"binaryData":{"token":` + js(b64(s4)) + `,"blob":` + js(b64("key: "+pemKey(s5))) + `,"logo.png":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}}`
		add(tcase{name: "configmap", doc: ev{Resource: "configmaps", Req: cm, Resp: cm}.JSON(), secrets: []string{s1, s2, s3, s4, s5, s6},
			keep:  []string{"color.good=purple", "allow.textmode=true", js(cert), "logo.png", "iVBORw0KGgo"},
			paths: []string{`requestObject.data["db.password"]`, "requestObject.data.api_key", `requestObject.data["access.properties"]`, "requestObject.binaryData.token", "requestObject.binaryData.blob"}})
	}
	{ // Secret shapes anywhere (a custom resource nobody told us about).
		pem, akia, gh, gl, sl, pw, cfg, kc := r.str(40), "AKIA"+strings.ToUpper(r.str(16)), "ghp_"+r.str(36), "glpat-"+r.str(20), "xoxb-"+r.str(12)+"-"+r.str(20), r.str(14), r.str(20), r.str(40)
		hook, tok := r.str(24), jwt(r)
		spec := map[string]string{
			"note":       "key follows\n" + pemKey(pem) + "end",
			"aws":        "id " + akia + " in use",
			"github":     gh,
			"gitlab":     gl,
			"slack":      sl,
			"webhook":    "https://hooks.slack.com/services/T0000/B0000/" + hook,
			"database":   "postgres://app:" + pw + "@db.prod.svc:5432/app",
			"config":     "[default]\nregion = eu-west-1\naws_secret_access_key=" + cfg + "\n",
			"kubeconfig": "users:\n- name: a\n  user:\n    client-key-data: " + b64(pemKey(kc)) + "\n",
			"header":     "Authorization: Bearer " + tok,
		}
		var parts []string
		for k, v := range spec {
			parts = append(parts, js(k)+":"+js(v))
		}
		obj := `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{` + strings.Join(parts, ",") + `,"bearerTokenFile":"/var/run/secrets/kubernetes.io/serviceaccount/token","tokenSecretRef":{"name":"wtoken","key":"t"}}}`
		add(tcase{name: "shapes anywhere", doc: ev{Resource: "widgets", Group: "example.com", Req: obj, Resp: obj}.JSON(),
			secrets: []string{pem, pemKey(pem), akia, gh, gl, sl, hook, pw, cfg, kc, b64(pemKey(kc)), tok},
			keep:    []string{"db.prod.svc:5432/app", "postgres://app:", "hooks.slack.com/services/", "region = eu-west-1", "/var/run/secrets/kubernetes.io/serviceaccount/token", `"wtoken"`, "key follows", "in use"}})
	}
	{ // Docker config JSON as text and as base64, outside Secrets.
		s1, s2, s3 := r.str(20), r.str(20), r.str(20)
		dc := `{"auths":{"registry.example.com":{"username":"bot","password":"` + s1 + `","auth":"` + b64("bot:"+s2) + `"}}}`
		cm := `{"kind":"ConfigMap","metadata":{"name":"d"},"data":{"config.json":` + js(dc) + `,"encoded":` + js(b64(`{"auths":{"r":{"auth":"`+b64("x:"+s3)+`"}}}`)) + `}}`
		add(tcase{name: "docker config", doc: ev{Resource: "configmaps", Req: cm}.JSON(), secrets: []string{s1, s2, b64("bot:" + s2), s3}, keep: []string{"registry.example.com", `\"username\":\"bot\"`}})
	}
	{ // Event annotations with secret shapes; legacy-token holds a name and stays.
		t1 := jwt(r)
		add(tcase{name: "annotations", doc: ev{Resource: "pods", Level: "Metadata", Annotations: map[string]string{
			"example.com/debug":                  "Bearer " + t1,
			"authentication.k8s.io/legacy-token": "system:serviceaccount:openshift-monitoring:prometheus-k8s",
			"authorization.k8s.io/decision":      "allow",
		}}.JSON(), secrets: []string{t1}, keep: []string{"system:serviceaccount:openshift-monitoring:prometheus-k8s"}, paths: []string{`annotations["example.com/debug"]`}})
	}
	{ // A 422 at Metadata level: responseStatus.details.causes echo the value.
		s1, s2 := r.str(18), jwt(r)
		st := map[string]any{"code": 422, "status": "Failure", "reason": "Invalid", "metadata": map[string]any{},
			"message": `Secret "db" is invalid: data[pass word]: Invalid value: "<redacted>"`,
			"details": map[string]any{"name": "db", "kind": "secrets", "causes": []map[string]any{
				{"reason": "FieldValueInvalid", "message": `Invalid value: "` + s1 + `": a valid config key must consist of alphanumeric characters`, "field": "data[pass word]"},
				{"reason": "FieldValueInvalid", "message": "bad header", "field": "metadata.annotations[Bearer " + s2 + "]"},
			}}}
		add(tcase{name: "status causes", doc: ev{Resource: "secrets", Level: "Metadata", Set: map[string]any{"responseStatus": st}}.JSON(), secrets: []string{s1, s2},
			keep:  []string{"FieldValueInvalid", "data[pass word]", "a valid config key"},
			paths: []string{"responseStatus.details.causes[0].message", "responseStatus.details.causes[1].field"}})
	}
	{ // impersonatedUser.extra, as user.extra.
		t1, t2 := jwt(r), jwt(r)
		add(tcase{name: "impersonated extra", doc: ev{Resource: "pods", Level: "Metadata", Set: map[string]any{
			"user": map[string]any{"username": "admin", "extra": map[string]any{"example.com/id-token": []string{t1},
				"proxy.example.com/pw": []string{"Zq8Hunt3r2"}, "proxy.example.com/creds": []string{"Qx7!mT"}}},
			"impersonatedUser": map[string]any{"username": "bob", "groups": []string{"dev"}, "extra": map[string]any{"scopes.example.com/token": []string{"read", "Bearer " + t2}}},
		}}.JSON(), secrets: []string{t1, t2, "Zq8Hunt3r2", "Qx7!mT"}, keep: []string{`"bob"`, `"read"`},
			paths: []string{`user.extra["example.com/id-token"][0]`, `user.extra["proxy.example.com/creds"][0]`, `user.extra["proxy.example.com/pw"][0]`, `impersonatedUser.extra["scopes.example.com/token"][1]`}})
	}
	{ // requestURI: the path, parameter names and parameters without '=';
		// userAgent.
		t1, t2, gh, gl := jwt(r), jwt(r), "ghp_"+r.str(36), "glpat-"+r.str(20)
		add(tcase{name: "uri path and names", doc: ev{Resource: "pods", Verb: "get", Level: "Metadata",
			URI: "/api/v1/namespaces/prod/pods/" + t1 + "/log?" + gh + "&watch=true&" + gl + "=1&limit=5"}.JSON(),
			secrets: []string{t1, gh, gl}, keep: []string{"/api/v1/namespaces/prod/pods/", "watch=true", "limit=5", "/log?"},
			paths: []string{"requestURI.path", "requestURI.query"}})
		add(tcase{name: "uri path only", doc: ev{Resource: "pods", Verb: "get", Level: "Metadata", URI: "/api/v1/namespaces/prod/pods/x%2F" + t2}.JSON(),
			secrets: []string{t2}, keep: []string{"/api/v1/namespaces/prod/pods/"}})
		t3 := jwt(r)
		add(tcase{name: "user agent", doc: ev{Resource: "pods", Verb: "list", Level: "Metadata", Set: map[string]any{"userAgent": "curl/8.5.0 Bearer " + t3}}.JSON(),
			secrets: []string{t3}, keep: []string{"curl/8.5.0"}, paths: []string{"userAgent"}})
	}
	{ // Env names ending in PASS; bypass/compass stay.
		s1, s2, s3 := r.str(20), r.str(20), r.str(20)
		env := `{"name":"DB_PASS","value":"` + s1 + `"},{"name":"SMTP_PASS","value":"` + s2 + `"},{"name":"RABBITMQ_DEFAULT_PASS","value":"` + s3 + `"},` +
			`{"name":"PROXY_BYPASS","value":"internal.example.com"},{"name":"COMPASS","value":"north-north-west"}`
		obj := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[` + container(env) + `]}}`
		add(tcase{name: "env pass suffix", doc: ev{Resource: "pods", Req: obj}.JSON(), secrets: []string{s1, s2, s3},
			keep: []string{"internal.example.com", "north-north-west"}})
	}
	{ // Mutating-webhook patch annotations: the JSON patch is walked like a
		// body; one that does not parse goes whole.
		s1, s2, s3, s4 := r.str(20), r.str(20), r.str(20), r.str(20)
		pod := `{"configuration":"inject-db","webhook":"db.inject.example.com","patch":[{"op":"add","path":"/spec/containers/0/env/-","value":{"name":"DB_PASSWORD","value":"` + s1 + `"}},` +
			`{"op":"add","path":"/spec/containers/1/env","value":[{"name":"SMTP_PASS","value":"` + s2 + `"},{"name":"LOG_LEVEL","value":"debug-verbose"}]},{"op":"add","path":"/metadata/labels/injected","value":"yes-injected"}],"patchType":"JSONPatch"}`
		sec := `{"configuration":"m","webhook":"w.example.com","patch":[{"op":"add","path":"/data/token","value":"` + b64(s3) + `"}],"patchType":"JSONPatch"}`
		add(tcase{name: "webhook patch annotations", doc: ev{Resource: "pods", Level: "Metadata", Annotations: map[string]string{
			"patch.webhook.admission.k8s.io/round_0_index_0":    pod,
			"mutation.webhook.admission.k8s.io/round_0_index_0": `{"configuration":"inject-db","webhook":"db.inject.example.com","mutated":true}`,
		}}.JSON(), secrets: []string{s1, s2}, keep: []string{"debug-verbose", "yes-injected", "db.inject.example.com", "DB_PASSWORD", "/spec/containers/0/env/-"},
			paths: []string{`annotations["patch.webhook.admission.k8s.io/round_0_index_0"].patch[0].value.value`}})
		add(tcase{name: "webhook patch secret", doc: ev{Resource: "secrets", Level: "Metadata", Annotations: map[string]string{
			"patch.webhook.admission.k8s.io/round_1_index_2": sec,
		}}.JSON(), secrets: []string{s3}, keep: []string{"w.example.com", "/data/token"}})
		add(tcase{name: "webhook patch unparsable", doc: ev{Resource: "pods", Level: "Metadata", Annotations: map[string]string{
			"patch.webhook.admission.k8s.io/round_0_index_1": `{"configuration":"x","patch":[{"op":"add","path":"/spec/containers/0/env/-","value":{"name":"PASSWORD","value":"` + s4 + `"}}] broken`,
		}}.JSON(), secrets: []string{s4}})
	}
	{ // Program-specific flags: mysql -p<x>, redis-cli -a x, curl -u user:x,
		// in exec URIs and in container commands.
		s1, s2, s3, s4, s5, s6 := r.str(16), r.str(16), r.str(16), r.str(16), r.str(16), r.str(16)
		add(tcase{name: "exec program flags", doc: ev{Resource: "pods", Sub: "exec", Level: "Metadata",
			URI: "/api/v1/namespaces/prod/pods/db-0/exec?command=%2Fusr%2Fbin%2Fmysql&command=-uroot&command=-p" + s1 + "&command=-e&command=show+databases&container=db&stdin=true"}.JSON(),
			secrets: []string{s1}, keep: []string{"command=-uroot", "command=-e", "show+databases"}, paths: []string{"requestURI.query.command[2]"}})
		add(tcase{name: "exec redis-cli", doc: ev{Resource: "pods", Sub: "exec", Level: "Metadata",
			URI: "/api/v1/namespaces/prod/pods/r-0/exec?command=redis-cli&command=-a&command=" + s2 + "&command=ping&container=redis"}.JSON(),
			secrets: []string{s2}, keep: []string{"command=-a", "command=ping"}})
		add(tcase{name: "exec curl user", doc: ev{Resource: "pods", Sub: "exec", Level: "Metadata",
			URI: "/api/v1/namespaces/prod/pods/c-0/exec?command=curl&command=-u&command=admin%3A" + s3 + "&command=-uops%3A" + s4 + "&command=http%3A%2F%2Fsvc%3A8080%2Fhealth"}.JSON(),
			secrets: []string{s3, s4}, keep: []string{"admin%3A", "ops%3A", "svc%3A8080"}})
		pod := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"mysql:8","command":["mysql","-h","db","-p` + s5 + `"]},{"name":"b","image":"curl","args":["curl","--user","bot:` + s6 + `","https://example.com/x"]},{"name":"c","image":"tools","command":["/bin/tool","-p8080","-u","svc:8443"]}]}}`
		add(tcase{name: "container program flags", doc: ev{Resource: "pods", Req: pod}.JSON(), secrets: []string{s5, s6},
			keep: []string{`"-h","db"`, `"bot:`, "https://example.com/x", `"-p8080"`, `"svc:8443"`}})
	}
	{ // Flag-then-value inside sh -c scripts.
		s1, s2, s3, s4, s5 := r.str(16), r.str(16), r.str(16), r.str(16), r.str(16)
		script := "mysql -u root --password " + s1 + " -e 'show databases' && mysqldump -p" + s2 + " app > /tmp/d.sql"
		add(tcase{name: "exec sh -c flags", doc: ev{Resource: "pods", Sub: "exec", Level: "Metadata",
			URI: "/api/v1/namespaces/prod/pods/db-0/exec?command=sh&command=-c&command=" + url.QueryEscape(script) + "&container=db"}.JSON(),
			secrets: []string{s1, s2}, keep: []string{"command=sh", "show+databases", "%2Ftmp%2Fd.sql"}, paths: []string{"requestURI.query.command[2]"}})
		pod := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"redis","command":["sh","-c",` +
			js("redis-cli -a "+s3+" ping; curl -u bot:"+s4+" http://svc:8080/x; vault login --token \""+s5+"\"") + `]}]}}`
		add(tcase{name: "container sh -c flags", doc: ev{Resource: "pods", Req: pod}.JSON(), secrets: []string{s3, s4, s5},
			keep: []string{"redis-cli -a", "ping;", "http://svc:8080/x", "vault login --token"}})
	}
	{ // Quoted values with blanks inside sh -c scripts: every word goes.
		w := make([]string, 9)
		for i := range w {
			w[i] = r.str(12)
		}
		script := "mysql -h db --password '" + w[0] + " " + w[1] + "' -e 'select 1'; redis-cli -a \"" + w[2] + " \\\" " + w[3] +
			"\" ping && mysql -p'" + w[4] + "\t" + w[5] + "' app; vault login --token \"" + w[6]
		// Unterminated quotes in assignments run to the end of the line.
		script2 := "export DB_PASSWORD='" + w[7] + "\necho ok-done\nAPI_TOKEN=\"" + w[8]
		pod := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"tools","command":["sh","-c",` +
			js(script) + `]},{"name":"b","image":"tools","args":[` + js(script2) + `]}]}}`
		add(tcase{name: "sh -c quoted values with blanks", doc: ev{Resource: "pods", Req: pod}.JSON(), secrets: w,
			keep: []string{"mysql -h db --password", "-e 'select 1';", "redis-cli -a", "ping", "mysql -p", "vault login --token", "echo ok-done", "export DB_PASSWORD="}})
	}
	return cs
}

func TestRedactTable(t *testing.T) {
	for _, props := range modes() {
		for _, format := range formats {
			p := map[string]string{"format": format}
			for k, v := range props {
				p[k] = v
			}
			en := enricher(t, p)
			for _, c := range cases() {
				t.Run(props["redaction_mode"]+"/"+format+"/"+c.name, func(t *testing.T) {
					msgs, recs := ship(t, en, c.doc)
					for _, msg := range msgs {
						for _, s := range c.secrets {
							if why := leaks(msg, s); why != "" {
								t.Errorf("secret leaked: %s\n%s", why, short(msg))
							}
						}
						if props["redaction_mode"] != "drop" {
							for _, k := range c.keep {
								if !strings.Contains(string(msg), k) {
									t.Errorf("lost %q (false positive)\n%s", k, short(msg))
								}
							}
						}
					}
					if props["redaction_mode"] == "mask" && format == "native" {
						for _, want := range c.paths {
							if !contains(recs[0].Enrichment.Redactions, want) {
								t.Errorf("redactions %q lack %q", recs[0].Enrichment.Redactions, want)
							}
						}
					}
					if len(recs[0].Enrichment.Redactions) == 0 {
						t.Errorf("no redaction listed")
					}
					for _, p := range recs[0].Enrichment.Redactions {
						for _, s := range c.secrets {
							if leaks([]byte(p), s) != "" {
								t.Errorf("a redaction path holds the value: %q", p)
							}
						}
					}
					// Idempotent: redacting the shipped event again changes nothing.
					again := eventJSON(t, recs[0].Event)
					_, recs2 := ship(t, en, again)
					if got := eventJSON(t, recs2[0].Event); string(got) != string(again) {
						t.Errorf("not idempotent:\n 1: %s\n 2: %s", short(again), short(got))
					}
				})
			}
		}
	}
}

// The hash mode keeps equal values equal (a SIEM can correlate) and depends
// on the key.
func TestHashCorrelates(t *testing.T) {
	s := newRnd(7).str(20)
	doc := ev{Resource: "secrets", Req: `{"kind":"Secret","data":{"a":` + js(b64(s)) + `,"b":` + js(b64(s)) + `}}`}.JSON()
	en := enricher(t, map[string]string{"redaction_mode": "hash", "redaction_hmac_key": hmacKey})
	_, recs := ship(t, en, doc)
	var m struct {
		Data map[string]string `json:"data"`
	}
	if err := jsonUnmarshal(recs[0].Event.RequestObject.Raw, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Data["a"], "sha256:") || len(m.Data["a"]) != 7+64 || m.Data["a"] != m.Data["b"] {
		t.Fatalf("hash mode: %q %q", m.Data["a"], m.Data["b"])
	}
	en2 := enricher(t, map[string]string{"redaction_mode": "hash", "redaction_hmac_key": hmacKey + "x"})
	_, recs2 := ship(t, en2, doc)
	if string(recs2[0].Event.RequestObject.Raw) == string(recs[0].Event.RequestObject.Raw) {
		t.Fatal("hash does not depend on the key")
	}
}

var _ = enrich.DropNone
