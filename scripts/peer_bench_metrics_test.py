#!/usr/bin/env python3
"""Unit tests of peer_bench_metrics (ctest peer_bench_metrics): hand-computed
attainments, numpy's linear percentile, and the check against the client."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_bench_metrics as m  # noqa: E402


def request(ttft, gaps, success=True):
    return {"success": success, "ttft_s": ttft, "itls_s": gaps, "ttft_slo_s": 1.0, "tbt_slo_s": 0.1}


def result(reqs, duration=2.0):
    return {"requests": reqs, "duration": duration, "failed": sum(not r["success"] for r in reqs)}


class PercentileTest(unittest.TestCase):
    def test_matches_numpy_linear(self):
        # numpy.percentile([1, 2, 3, 4], 95) = 3.85; of [5] = 5
        self.assertAlmostEqual(m.percentile_linear([1, 2, 3, 4], 95), 3.85)
        self.assertEqual(m.percentile_linear([5], 95), 5)
        self.assertAlmostEqual(m.percentile_linear([0, 10], 50), 5)


class JudgeTest(unittest.TestCase):
    def setUp(self):
        self.res = result([
            request(0.5, [0.04, 0.06, 0.08]),        # TTFT met; p95 gap 0.078
            request(1.5, [0.03]),                     # TTFT missed
            request(0.2, [0.04] * 19 + [1.5]),        # p95 gap 0.1131, longest 1.5 s: a stall
            request(0.1, []),                         # one token: no gap, TBT met
            request(0.0, [], success=False),          # failed: a miss everywhere
        ])

    def test_at_100ms(self):
        j = m.judge(self.res, 1.0, 0.1)
        self.assertAlmostEqual(j["ttft_attainment"], 3 / 5)
        self.assertAlmostEqual(j["tbt_token_attainment"], 23 / 24)
        self.assertAlmostEqual(j["tbt_stall_attainment"], 3 / 5)  # requests 0, 1 and 3
        self.assertAlmostEqual(j["both_attainment"], 2 / 5)       # requests 0 and 3
        self.assertAlmostEqual(j["slo_goodput_rps"], 1.0)

    def test_tighter_slo_misses_more(self):
        j = m.judge(self.res, 1.0, 0.05)
        self.assertAlmostEqual(j["tbt_token_attainment"], 21 / 24)
        self.assertAlmostEqual(j["both_attainment"], 1 / 5)  # only the one-token request

    def test_looser_slo_still_catches_the_stall(self):
        j = m.judge(self.res, 1.0, 0.2)
        self.assertAlmostEqual(j["tbt_stall_attainment"], 3 / 5)  # request 2's 1.5 s gap is a stall

    def test_passes(self):
        ok = {"ttft_attainment": 0.95, "tbt_token_attainment": 0.9, "tbt_stall_attainment": 0.5}
        self.assertTrue(m.passes(ok, 0, "token", 0.9))
        self.assertFalse(m.passes(ok, 1, "token", 0.9))  # a failed request fails the test
        self.assertFalse(m.passes(ok, 0, "stall", 0.9))


class ClientCheckTest(unittest.TestCase):
    def test_detects_a_mismatch(self):
        res = result([request(0.5, [0.04, 0.2])])
        res.update(cacheopt_ttft_slo_attainment=1.0, cacheopt_tbt_slo_attainment=0.5,
                   cacheopt_stall_slo_attainment=0.0, cacheopt_slo_attainment=0.0, cacheopt_slo_goodput=0.0)
        m.check_against_client(res)  # p95 gap 0.192 > 0.1: no request meets TBT
        res["cacheopt_tbt_slo_attainment"] = 1.0
        with self.assertRaisesRegex(ValueError, "tbt_token_attainment"):
            m.check_against_client(res)

    def test_needs_one_target(self):
        res = result([request(0.5, []), dict(request(0.5, []), tbt_slo_s=0.2)])
        with self.assertRaisesRegex(ValueError, "one TTFT and one TBT target"):
            m.client_targets(res)


if __name__ == "__main__":
    unittest.main()
