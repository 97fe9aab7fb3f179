/* fuzz_p1_replay.c — wasi-virt's replay (wasi-virt/p1_log.c) on any log: the records a
 * replay answers host calls from, fuzzed together with the calls a guest makes. The
 * harness is fuzz_wasi_p1.c's, built in its replay variant (see P1_FUZZ_REPLAY there):
 * the recording's configuration takes stdin, the clocks and random bytes from the
 * host, so their answers come from the fuzzed records. What must hold: no memory error
 * or UB, every call an errno 0..76, or the run ends at proc_exit (the divergence
 * message and 70). The seeds are recordings of corpus/p1calls's seeds made by this
 * binary (MB_FUZZ_P1_SEED=FILE), whose replays run to the end. */
#define P1_FUZZ_REPLAY 1
#include "fuzz_wasi_p1.c"
