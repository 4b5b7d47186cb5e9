// Package mirror keeps a party's own verified copy of the hub's signed log
// and raises alarms when the hub contradicts it.
//
// A party runs its node because it does not trust the mediator's server
// with its keys, its registry or its families' data; for the same reason
// it cannot take the hub's word for what the shared record says. The node
// therefore fetches the log the way any independent verifier would, over
// the hub's public C2SP tlog-tiles endpoints, and trusts nothing but the
// hub's log verifier key and what it verified before:
//
//   - each checkpoint must carry the log key's signature, and must be
//     consistent with the last checkpoint the node verified (a smaller
//     size is a truncation, another root or a failed proof a fork);
//   - every entry's leaf hash is recomputed and the whole tree rebuilt
//     from the entries, so an edited entry is named by its index;
//   - entries and the tree's hashes are stored in the node's database in
//     batches, each in one transaction with the state that says how far
//     the copy is verified: a node killed mid-sync resumes from a
//     verified prefix;
//   - every statement a party makes must carry that party's signature
//     (the audit rule), so that an entry the hub logs on its own is caught;
//   - the node's witness cosigns what it verified, the nodes compare their
//     checkpoints with each other (split view), and the lists handed over
//     to the party are fetched and checked against the hash the log
//     recorded.
//
// What the hub got wrong is stored as an alarm (Alarm), a code with
// parameters that the catalogues turn into sentences; an alarm stays until
// an officer acknowledges it.
package mirror
