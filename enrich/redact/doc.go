// Package redact removes secrets from kube-apiserver audit events before
// they leave the node. It fails closed: a body it cannot walk is replaced
// whole. A Redactor is built once from configuration and is read-only
// afterwards but for two lock-free caches (object-key verdicts, hashes of
// strings found clean): safe for concurrent use. It never logs, and its
// errors never hold a value from an event.
//
// # Detectors (redaction_strategy detect, the default)
//
// Every detector is general: it knows a shape, not an event.
//
//   - Structures: Secret data and stringData (also in lists, watch
//     events, patches, apply bodies, Status echoes), TokenReview and
//     TokenRequest tokens, container env entries named like a credential,
//     name/value records anywhere — {name|key|header|type: N,
//     value|values: V} where N names a credential (workflow and GitOps
//     parameters, probe httpHeaders, identity-provider credential lists
//     with type: password, plugin header lists) —, values of keys named
//     like a credential (keys.go), ConfigMap binaryData.
//   - Text (scan.go, text.go), in any string at any depth: credential
//     assignments (key = value, key: value, "key": "value", apikey:value),
//     connection strings (AccountKey=…;, Password=…;, Pwd=…;,
//     SharedAccessKey=…, an Azure SAS sig=), HTTP headers (Authorization:
//     <scheme> <credential>, Basic <base64 of user:password>, Bearer
//     <token>, X-Api-Key: …, nginx proxy_set_header / more_set_headers),
//     configuration files carried as strings (netrc password, redis.conf
//     requirepass / masterauth, haproxy insecure-password, a Dockerfile's
//     ENV KEY value, settings.xml <password>, kubeconfig exec env and any
//     name/value record written as
//     YAML or JSON text, INI, properties, env files, TOML, a Secret manifest
//     as YAML), system configuration found by its shape (sysconf.go:
//     cloud-init chpasswd lists, .pgpass lines, Go MySQL DSNs, user:password
//     fed to chpasswd by echo, printf or a here-string, a password fed so to
//     a login's --password-stdin; psk= of wpa_supplicant as
//     a credential key), PEM private keys, JWTs, URL passwords, vendor
//     tokens.
//   - Known token shapes: gitleaks' default rules (gitleaks.go), loaded as
//     data from the embedded gitleaks.toml, with their keywords as a
//     prefilter: a rule's regexp runs only on a window around one of its
//     keywords, and only when the window holds a literal every match of
//     the regexp holds.
//   - Encoded payloads: a string of the base64 alphabet is decoded (also
//     base64 of gzip, nested up to 4 levels, inflated up to 8 MiB: a larger
//     stream counts as a secret) and what it decodes to is read with every
//     detector above — text, JSON walked as a body (a Helm release, a
//     kind: List of Secrets, a docker config); when it holds a secret, the
//     whole encoded value goes.
//   - Command lines (walk.go, uri.go): pods/exec command= parameters,
//     container command and args, and scripts inside them (sh -c):
//     --password x, --password=x, PASSWORD=x, and the programs' own
//     shapes — mysql -p, redis-cli -a, curl -u, docker|podman|helm|
//     skopeo|buildah|az login -p, sshpass -p, htpasswd -b, aws configure
//     set <credential key> <value>, openssl pass:, kubectl
//     --from-literal, rabbitmqctl add_user. The summary and
//     enrichment.what.command are built from the redacted URI. The same
//     program rules read a command quoted in any text (cmdtext.go: an
//     event's message, a probe's, a script in a ConfigMap), from the
//     program's name to the end of its command, and the word after a
//     credential flag anywhere in text (--password X).
//   - Server text (text.go, serverSpans): status messages, validation
//     causes, admission denials, event annotations written by webhooks,
//     user.extra, "message" members of bodies (container termination
//     messages): the value an "Invalid value:" echoes when the field names
//     a credential, the object is a Secret, or the value looks like a
//     token; a value after a credential word and "value", quoted or not
//     (a policy's denial: literal value X; use a secretKeyRef); any word
//     that looks like a generated token (16+ characters, mixed case and
//     digits, high entropy, not hex, not base64 of readable text).
//     user.extra values under a key naming a credential go whole.
//
// What is not a secret, whatever key it sits under: numbers under keys that
// only mention a credential (accessTokenLifespan: 300, tokenMaxAge),
// file paths and references ($VAR, ${VAR}, {{ .Values.x }},
// ${user.home}/.ssh/id_rsa), already masked values (AKIA****WXYZ), names
// of Secrets under keys that refer to one (…/auth-secret: billing-basic-auth),
// certificates, CA bundles, CSRs, public keys, JWKS, hex digests and
// checksums, git SHAs, UUIDs, paging continue tokens (base64 of JSON
// without a secret), passwordPolicy, tokenTTL, audiences.
//
// # Cost
//
// A string is read once by prepass (byte classes, gitleaks keywords);
// each shape then runs only when its bytes are there. Strings found clean
// are remembered by a keyed 64-bit hash (cleanCache: the string itself is
// never kept) — real logs repeat the same names, images, paths and
// annotations event after event. A body is read once, into a jsonx.Tape
// (the View's, shared with the rules, through EventView; else the arena's),
// with the limits above: the fast path of fast.go walks the tape and
// answers, without building a tree, whether the walk would change the
// body; only when it might is the tree built, from the same tape. A body
// that fails the tape (syntax, depth, values) is replaced whole, as it
// always was. A differential test and fuzz target hold the fast path and
// the walk to identical bytes; TestEventViewMatchesEvent holds EventView
// to Event.
//
// # redaction_strategy strict: an allowlist
//
// Detectors find what they know; strict mode also hides what they do not.
// After the detectors, every string of a request or response body that is
// not on the allowlist of StrictAllowed (strict.go) is masked or hashed as
// redaction_mode says (drop masks it: the structure stays):
//
//   - for kinds whose schema is known (core, apps, batch, rbac, networking,
//     policy, admissionregistration, coordination, discovery, scheduling,
//     storage, autoscaling, authorization): names, namespaces, uids,
//     resource versions, timestamps, images and pull policies, ports and
//     protocols, resources, security contexts, volume structure (names,
//     mount paths, claim and Secret names), scheduling (node, selectors,
//     affinity, tolerations), RBAC rules, role references and subjects,
//     owner references, finalizers, status words (phase, type, status,
//     reason), webhook rules and CA bundles;
//   - for ConfigMaps, Secrets and every other kind (CRDs): kind,
//     apiVersion and metadata name, namespace, uid and labels only;
//   - metadata annotations and "message" members keep the detectors (they
//     are read, not masked); kubectl's last-applied-configuration goes
//     whole (it is a whole manifest as text); a JSON patch keeps its op,
//     path and from.
//
// The request URI, event annotations, user.extra and responseStatus keep
// the detectors in both strategies. The severity rules judge the event as
// logged (they run before redaction), so the severity and rule ids of an
// event are the same in both strategies. A property test checks, over every
// corpus and random bodies, that no string outside the allowlist survives.
//
// What an analyst loses in strict mode: every value of ConfigMaps and of
// custom resources (Argo, Flux, Crossplane, cert-manager, Keycloak… specs
// and statuses: what was configured, not that it was), container command
// lines and arguments, env values (even harmless ones), probe and
// lifecycle commands, hostnames and URLs in specs (ingress backends but
// the host, webhook URLs, external names), the previous manifest of
// kubectl apply, and the values of JSON patches. Names, kinds, images,
// RBAC, scheduling, ownership and who did what stay, and so does
// everything outside the bodies. Hashing (redaction_mode hash) keeps equal
// values equal, so changes and reuse stay visible without the values.
package redact
