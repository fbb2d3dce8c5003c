package redact

import "strings"

// redaction_strategy strict: after the detectors, every string value of a
// body that is not on the allowlist below is redacted (see doc.go).

// knownKinds are the kinds whose schema says which fields carry no secret.
var knownKinds = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`Pod Service Endpoints Namespace Node ServiceAccount PersistentVolume
		PersistentVolumeClaim Event LimitRange ResourceQuota ReplicationController Binding PodTemplate
		Deployment StatefulSet DaemonSet ReplicaSet Job CronJob
		Role ClusterRole RoleBinding ClusterRoleBinding
		Ingress IngressClass NetworkPolicy PodDisruptionBudget
		ValidatingWebhookConfiguration MutatingWebhookConfiguration ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding
		Lease EndpointSlice PriorityClass StorageClass VolumeAttachment CSIDriver CSINode
		HorizontalPodAutoscaler SubjectAccessReview SelfSubjectAccessReview LocalSubjectAccessReview
		Eviction Scale DeleteOptions Status`) {
		m[k] = true
	}
	return m
}()

// strictKeys: members whose string value is kept in a known kind (names,
// references, images, ports, scheduling, status words, times).
var strictKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`name namespace uid resourceVersion generateName creationTimestamp deletionTimestamp
		kind apiVersion image imagePullPolicy serviceAccountName serviceAccount nodeName hostname subdomain
		schedulerName priorityClassName restartPolicy dnsPolicy preemptionPolicy runtimeClassName
		terminationMessagePolicy terminationMessagePath mountPath subPath mountPropagation claimName secretName
		volumeName storageClassName protocol containerPort targetPort hostPort nodePort type phase status reason
		lastTransitionTime lastProbeTime lastUpdateTime startTime startedAt finishedAt containerID imageID podIP hostIP
		ip clusterIP ingressClassName host path pathType serviceName port apiGroup operator key effect topologyKey
		whenUnsatisfiable tolerationSeconds holderIdentity acquireTime renewTime leaseDurationSeconds
		failurePolicy sideEffects matchPolicy reclaimPolicy volumeMode volumeBindingMode provisioner
		concurrencyPolicy schedule timeZone completionMode podManagementPolicy minReadySeconds
		firstTimestamp lastTimestamp eventTime reportingComponent reportingInstance action component
		resource verb subresource group version user uid fieldPath policyTypes strategy`) {
		m[k] = true
	}
	return m
}()

// strictSubtrees: members below which every string is kept in a known kind
// (labels and selectors, owner references, RBAC rules and bindings,
// resource quantities, security contexts, webhook rules and their CA).
var strictSubtrees = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`labels matchLabels selector nodeSelector matchExpressions labelSelector
		ownerReferences finalizers rules roleRef subjects aggregationRule
		resources limits requests capacity allocatable hard used
		securityContext seLinuxOptions seccompProfile capabilities
		caBundle admissionReviewVersions ports tolerations affinity topologySpreadConstraints
		involvedObject related source conditions accessModes readinessGates`) {
		m[k] = true
	}
	return m
}()

// strictMeta: metadata members kept in every kind (ConfigMaps, Secrets,
// unknown kinds: names, namespaces, labels, uids).
func strictMeta(k string) bool {
	return k == "name" || k == "namespace" || k == "uid" || k == "labels"
}

// StrictAllowed reports whether the string at path (member keys, "[]" for
// an array element) of a body of the given kind survives strict mode. It
// is the allowlist; strictNode applies it, and a property test checks
// every string of a redacted body against it.
func StrictAllowed(kind string, path []string) bool {
	if len(path) == 0 {
		return false
	}
	top := path[0]
	if len(path) == 1 && (top == "kind" || top == "apiVersion" || top == MarkerKey) {
		return true
	}
	if top == "metadata" && len(path) >= 2 {
		switch {
		case path[1] == "annotations":
			return true // annotations keep the detectors
		case path[1] == "labels":
			return true
		case len(path) == 2 && strictMeta(path[1]):
			return true
		}
	}
	if !knownKinds[kind] {
		return false
	}
	// Inside a known kind.
	for _, p := range path[:len(path)-1] {
		if strictSubtrees[p] {
			return true
		}
		if p == "annotations" {
			return true // pod template annotations: detectors
		}
	}
	last := path[len(path)-1]
	if last == "[]" && len(path) >= 2 {
		last = path[len(path)-2]
		switch last {
		case "verbs", "apiGroups", "resourceNames", "nonResourceURLs", "operations", "apiVersions", "scopes", "finalizers":
			return true
		}
		return false
	}
	if last == "message" {
		return true // messages keep the detectors
	}
	return strictKeys[last]
}

// strictBody applies the allowlist to the tree of a body, already walked by
// the detectors; it returns whether it changed anything.
func (w *walker) strictBody(n *node) bool {
	var path []string
	if n.kind == kArr && isJSONPatch(n) {
		// A JSON patch: the operations and paths stay, values go.
		changed := false
		for _, op := range n.vals {
			for i, k := range op.keys {
				if k == "op" || k == "path" || k == "from" {
					continue
				}
				if w.strictNode(op.vals[i], "", append(path[:0], k)) {
					op.dirty, changed = true, true
				}
			}
		}
		if changed {
			n.dirty = true
		}
		return changed
	}
	return w.strictNode(n, w.hint, path)
}

// strictNode redacts every string below n (a body of kind, at path) that
// StrictAllowed does not keep. Lists and watch events carry their items'
// kinds.
func (w *walker) strictNode(n *node, kind string, path []string) bool {
	switch n.kind {
	case kStr:
		if isRedacted(n.str) || StrictAllowed(kind, path) {
			return false
		}
		n.setStr(w.r.inline(n.str))
		return true
	case kArr:
		changed := false
		for _, e := range n.vals {
			if w.strictNode(e, kind, append(path, "[]")) {
				changed = true
			}
		}
		if changed {
			n.dirty = true
		}
		return changed
	case kObj:
		if len(path) == 0 || len(path) == 2 && path[1] == "[]" && path[0] == "items" {
			if k := n.getStr("kind"); k != "" {
				kind = k
			} else if len(path) == 2 {
				kind = strings.TrimSuffix(kind, "List")
			}
			if len(path) == 0 {
				kind = strings.TrimSuffix(kind, "List")
			}
		}
		changed := false
		for i, k := range n.keys {
			v := n.vals[i]
			var c bool
			switch {
			case len(path) == 0 && k == "object" && v.kind == kObj:
				// A watch event: the object is a body of its own.
				c = w.strictNode(v, w.hint, nil)
			case len(path) == 0 && k == "items" && v.kind == kArr:
				for _, e := range v.vals {
					if e.kind == kObj {
						ek := e.getStr("kind")
						if ek == "" {
							ek = kind
						}
						if w.strictNode(e, ek, nil) {
							c = true
						}
					} else if w.strictNode(e, kind, []string{"items", "[]"}) {
						c = true
					}
				}
				if c {
					v.dirty = true
				}
			case k == lastApplied && v.kind == kStr && len(path) == 2 && path[1] == "annotations":
				// The previous manifest, as text: gone whole (its
				// strings are not walked by the allowlist).
				if !isRedacted(v.str) {
					v.setStr(w.r.inline(v.str))
					c = true
				}
			default:
				c = w.strictNode(v, kind, append(path, k))
			}
			changed = changed || c
		}
		if changed {
			n.dirty = true
		}
		return changed
	}
	return false
}
