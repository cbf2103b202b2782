"""Estimated data-parallel scaling of `vqvae train` over N machines (issue 14), from measured figures:
the step time of one machine on its share of the batch, and the local cost of the step's all-reduces
measured on loopback (`mpirun -np 2 vqvae bench allreduce`), plus a model of the network.

Weak scaling: every machine keeps its batch (the global batch grows with N), one process per machine.
Per step, after the backward pass (communication does not overlap computation here):

    T(N) = t_step + t_local + calls * 2*ceil(log2 N) * alpha + 2*(N-1)/N * S / beta

the all-reduce as reduce-scatter then all-gather (recursive halving and doubling: 2*log2 N latencies,
each byte crossing the link twice), S the bytes summed per step, alpha the latency of one message,
beta the usable link bandwidth (a fraction of the line rate). Speed-up N*t_step/T(N), efficiency
t_step/T(N). alpha and the efficiency of the link are assumptions (printed), not measurements.

    python3 Scripts/mpi/scaling_estimate.py --step-ms 48.5 --local-ms 2.5 --bytes 2769168 --calls 3
"""
import argparse, math


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step-ms", type=float, required=True, help="one machine's training step on its share, ms")
    parser.add_argument("--local-ms", type=float, required=True, help="the all-reduces' local cost per step (loopback), ms")
    parser.add_argument("--bytes", type=int, default=2769168, help="bytes summed per step (default: the Sonnet VQ-VAE's)")
    parser.add_argument("--calls", type=int, default=3, help="all-reduce calls per step")
    parser.add_argument("--links", nargs="+", default=["10:30:0.85", "100:5:0.7"],
                        help="Gbit/s:alpha µs:usable fraction of the line rate, per network")
    parser.add_argument("--nodes", nargs="+", type=int, default=[2, 4, 8, 16, 32, 64])
    args = parser.parse_args()
    for link in args.links:
        rate, alpha, fraction = (float(x) for x in link.split(":"))
        beta = rate * 1e9 / 8 * fraction  # bytes per second
        print(f"\n{rate:g} Gbit/s, alpha {alpha:g} µs, {fraction * 100:.0f}% of the line rate usable "
              f"({beta / 1e9:.2f} GB/s); step {args.step_ms} ms, local {args.local_ms} ms, {args.bytes} bytes in {args.calls} calls\n")
        print("| machines | communication, ms | step, ms | speed-up | efficiency |")
        print("|---:|---:|---:|---:|---:|")
        for n in args.nodes:
            latency = args.calls * 2 * math.ceil(math.log2(n)) * alpha / 1000
            transfer = 2 * (n - 1) / n * args.bytes / beta * 1000
            communication = args.local_ms + latency + transfer
            step = args.step_ms + communication
            print(f"| {n} | {communication:.1f} | {step:.1f} | {n * args.step_ms / step:.1f} | {args.step_ms / step * 100:.0f}% |")


if __name__ == "__main__":
    main()
