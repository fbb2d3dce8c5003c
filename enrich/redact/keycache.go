package redact

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// keyCache remembers the verdicts of object keys: the same few hundred keys
// (name, image, resourceVersion, securityContext...) come back in every
// body. It belongs to one Redactor, whose configuration the verdict depends
// on, and is safe for concurrent use without a lock: a slot holds a pointer
// to an immutable entry, replaced whole; a reader sees an old entry, a new
// one or none, and a wrong key is never taken (the key is compared).
//
// Only object keys are cached: names, bounded in length. Substrings of
// values (the key of a `password=...` assignment in config text, which may
// be a run of base64) are classified without it, so that no part of a value
// stays in memory past its event.
type keyCache struct {
	seed  maphash.Seed
	slots [keyCacheSlots]atomic.Pointer[keyEntry]
}

type keyEntry struct {
	key string
	v   keyVerdict
}

const (
	keyCacheSlots  = 4096 // a power of two
	maxCachedKeyLn = 64
)

func newKeyCache() *keyCache { return &keyCache{seed: maphash.MakeSeed()} }

// classifyKey is classify for an object key, through the cache.
func (r *Redactor) classifyKey(key string) keyVerdict {
	c := r.keys
	if c == nil || len(key) > maxCachedKeyLn {
		return r.classify(key)
	}
	h := maphash.String(c.seed, key)
	i := h & (keyCacheSlots - 1)
	// Two candidate slots: i and its neighbour, so that two hot keys that
	// collide do not evict each other forever.
	j := i ^ 1
	if e := c.slots[i].Load(); e != nil && e.key == key {
		return e.v
	}
	if e := c.slots[j].Load(); e != nil && e.key == key {
		return e.v
	}
	v := r.classify(key)
	e := &keyEntry{key: strings.Clone(key), v: v} // the key may share a body's bytes
	// The second slot takes the newcomer when the first is taken.
	if c.slots[i].Load() == nil || (h>>12)&1 == 0 {
		c.slots[i].Store(e)
	} else {
		c.slots[j].Store(e)
	}
	return v
}
