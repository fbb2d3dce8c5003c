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

// cleanCache remembers strings found to hold no secret shape, by a keyed
// 64-bit hash only (never the string): the same images, names, paths and
// annotation values come back in event after event, and scanning them again
// (every shape, gitleaks' keywords) is most of the cost of looking. A slot
// holds a hash, replaced whole (lock-free); a string is skipped only when
// its hash is found, and the hash is keyed with a seed made per Redactor,
// so no one can make a string with a secret collide with a clean one (the
// odds of an accidental collision are 2^-64 per look-up). Strings with a
// secret are never entered.
type cleanCache struct {
	seed  maphash.Seed
	slots [cleanSlots]atomic.Uint64
}

const (
	cleanSlots = 1 << 14 // a power of two: 128 KiB
	// Strings shorter than this cost less to scan than to hash; longer
	// ones are not worth remembering (rare, and large).
	minCleanLen = 8
	maxCleanLen = 4096
)

func newCleanCache() *cleanCache { return &cleanCache{seed: maphash.MakeSeed()} }

// sum is s's hash (never 0: 0 marks an empty slot).
func (c *cleanCache) sum(s string) uint64 { return maphash.String(c.seed, s) | 1 }

func (c *cleanCache) has(h uint64) bool { return c.slots[h>>50&(cleanSlots-1)].Load() == h }

func (c *cleanCache) add(h uint64) { c.slots[h>>50&(cleanSlots-1)].Store(h) }
