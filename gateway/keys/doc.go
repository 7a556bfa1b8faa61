// Package keys is the LLM gateway's keys: issued and revoked by an
// operator, each with the endpoints it may call, requests- and
// tokens-per-minute limits, daily and monthly token and spend budgets,
// and an expiry.
//
// # Keys
//
// A key is "bk-" and 43 characters of base64url: 256 random bits, shown
// once by Store.Create. Only its SHA-256 is stored (a random 256-bit
// secret needs no salted slow hash: bcrypt guards guessable passwords, and
// at its usual cost factor (10) takes tens of milliseconds a check, where
// the gateway's whole overhead budget is 0.5 ms). Keys live in the
// gateway's database (SQLite or PostgreSQL) in tables of their own, so
// every replica on one database sees the same keys. Keys are never
// logged; names, ids and hints ("bk-...Ab3x") are.
//
// # Admission
//
// Guard.Admit checks a call in memory, in microseconds, and refuses it
// with an *Error whose Kind the gateway maps to HTTP: 401 (no key, or an
// unknown, malformed, revoked or expired one), 403 (endpoint not allowed),
// 429 with Retry-After (a per-minute limit, or a budget until the next UTC
// day or month). The Ticket it returns counts the call's tokens and cost
// when the call ends (Ticket.Done).
//
// Per-minute limits are sliding windows: the count of the current clock
// minute plus the previous minute's count weighted by how much of it is
// still within the last 60 s. Budgets are per UTC day and calendar month;
// spend is priced by the config's `prices:` table (ParsePrices).
//
// # Replicas and the overshoot allowance
//
// Each process counts locally and reconciles through the database every
// interval T (Guard.Run; default 1 s): it adds its counts to the shared
// rows and reads every replica's totals back, in one transaction, and
// reloads the keys (a revocation takes effect everywhere within T; a key
// created elsewhere is found at its first use). A replica admits on its
// own view: the totals of its last reconcile plus what it admitted since.
// Another replica's admissions reach that view at most 2T late (up to T
// before it writes them, up to T before this one reads them), so with N
// replicas a limit L is exceeded by at most what the other replicas
// admitted in 2T:
//
//	overshoot <= (N-1) × 2T × r
//
// where r is the highest rate (per second) at which one replica admits
// calls of that key; since each replica also stops at L on its own view,
// the overshoot is never more than (N-1) × L. For example, 3 replicas,
// T = 1 s, a key at 600 requests per minute spread evenly (r = 10/s per
// replica at most before the limit bites): at most 2 × 2 × 10 = 40 over.
// Tokens are counted when a call ends, so token limits and budgets may
// also be exceeded by the tokens of calls admitted while under them (a
// call's tokens are not known in advance). Budgets are persisted: a
// restart loses at most the counts of its last T.
package keys
