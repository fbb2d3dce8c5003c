package redact

import (
	"hash/maphash"
	"math/bits"
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
//
// The slot is chosen by keyHash, unkeyed: the key in the slot is compared,
// so keys made to collide only miss the cache (and are classified, as
// without one); nothing depends on the hash being secret.
type keyCache struct {
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

func newKeyCache() *keyCache { return new(keyCache) }

// keyHash mixes a key's length with its first and last 8 bytes (or all of
// a shorter key): cheaper than maphash for the short names object keys are,
// and keys differing only in the middle, rare among them, just share slots.
func keyHash(k string) uint64 {
	n := len(k)
	var h uint64
	switch {
	case n >= 8:
		h = le64(k[:8]) ^ bits.RotateLeft64(le64(k[n-8:]), 31)
	case n >= 4:
		h = le32(k[:4]) | le32(k[n-4:])<<32
	case n > 0:
		h = uint64(k[0]) | uint64(k[n/2])<<8 | uint64(k[n-1])<<16
	}
	h = (h ^ uint64(n)<<57) * 0x9e3779b97f4a7c15
	return h ^ h>>32
}

func le64(s string) uint64 {
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func le32(s string) uint64 {
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// classifyKey is classify for an object key, through the cache.
func (r *Redactor) classifyKey(key string) keyVerdict {
	c := r.keys
	if c == nil || len(key) > maxCachedKeyLn {
		return r.classify(key)
	}
	h := keyHash(key)
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
