// SPDX-License-Identifier: MIT
#pragma once
// Automatic findings ("kubemind explain"): plain-words statements about a finished run, each with
// the numbers it rests on. Computed from the RunReport alone (no simulation state), so the same
// report always gives the same findings, in the same order.
//
// The rules, in output order (each only when its condition holds):
//  1. imbalance (problem): sli.imbalance.top_share >= 0.5 with >= 2 pods Ready during the run. The
//     cause is named from the client connections open at the end: fewer than the Ready pods ->
//     pinned by an L4 Service (kube-proxy picks a backend once per new connection: DESIGN.md "the
//     loophole"; shared/reference/dataplane.md 1.1, kubernetes pkg/proxy/iptables/proxier.go); at
//     least as many -> "though spread over C connections"; none open -> no cause named.
//  2. idle-ready-pods (problem): pods Ready during the measured span that received no request.
//  3. scaling-metric-blind (problem), per cpu / memory utilization trace of an HPA ("hpa/..." or
//     KEDA's "keda-hpa-..."): the mean seen value below the target (from the controller's last
//     event carrying that metric; with no event at all, the controller never scaled) while the true
//     queue depth (its "queue_depth" trace) peaked above 10 x the pods' mean batch size (10 x 10
//     when unknown).
//  4. scaled-but-unused (warning), per Deployment: replicas grew but the pods created during the run
//     served < 5 % of the requests.
//  5. queue-explosion (problem): a pod's queue reached >= 1000 waiting requests (the worst pod).
//  6. slo-missed (problem) / slo-met (info): with an SLO, met when attainment >= 99 % and p99 <=
//     the target.
//  7. cold-starts (info): pods that started during the run, mean created -> Ready, largest stage.
//  8. errors (warning): failed requests, their share and the top three reasons.
//  9. cost (info): GPU-hours and cost, unless the cluster is unlimited.
// Shares in `numbers` are fractions (0..1), times carry their unit in the name; texts round shares
// to whole percents (more digits only where rounding would print 0 % or 100 % for a value that is
// neither) and times to 3 significant digits.

#include <stdexcept>
#include <string>
#include <vector>

#include "sim/report/run_report.h"

namespace kubemind::report {

/// The findings of a finished run, in the rule order above; ties inside a rule in pods / traces /
/// Deployments order.
std::vector<Finding> find_findings(const RunReport& report);

/// "- [severity] text" lines, one per finding, each ending in a newline; "(no findings)\n" if none.
std::string findings_to_text(const std::vector<Finding>& findings);

/// A report text that is not JSON, not a report, or has no findings. what(): one line "SOURCE: ...".
class ExplainError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `kubemind explain`: the findings of a JSON report (to_json's output) as text (findings_to_text's
/// layout) or as the report's findings array (2-space indented, ending in a newline). Throws
/// ExplainError naming `source` when `text` is not JSON, not an object, has no findings array (a
/// report written before findings existed) or a finding lacks its id, severity or text.
std::string explain_report(const std::string& text, const std::string& source, bool as_json);

}  // namespace kubemind::report
