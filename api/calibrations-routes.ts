import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Pool } from 'pg';
import { recordAuditEvent } from '../db/audit';
import { calibrationSamples, currentThreshold, decideProposal, getProposal, insertProposal, listProposals, type ProposalRow } from '../db/decisions';
import { calibrateThreshold } from '../workflows/calibration';
import { holdsRole } from '../workflows/sign-off';
import { actorOf, forbidden, principalOf } from './auth';
import { CalibrationRequest, ProposalDecisionRequest } from './decision-schemas';
import { DECISION_BODY_LIMIT } from './decisions-routes';
import { proposalPath, proposalView } from './decision-views';
import { jsonBody } from './json-body';
import { planDefinition } from './plan-cache';
import { conflict, invalidField, notFound, parseBody, Problem, ProblemType } from './problem';
import { auditDenied, requireRollout, requireStage } from './rollout-lookup';
import { guardPathParameters } from './url-guards';

/**
 * Calibration of a stage's confidence threshold from the outcomes of its decisions:
 *
 *   POST /v1/rollouts/:id/stages/:stageId/calibrations                        propose a threshold
 *   GET  /v1/rollouts/:id/stages/:stageId/calibrations[/:proposalId]
 *   POST /v1/rollouts/:id/stages/:stageId/calibrations/:proposalId/approvals  approve or reject it
 *
 * Any authenticated principal may ask for a calibration; only holders of a stage approval role
 * approve one, and a refusal is 403 and audited. Outcomes of a pilot stage calibrate a
 * production stage only when the request says allowPilotData.
 */
export function calibrationsRouter({ pool }: { pool: Pool }): Router {
  const router = guardPathParameters(Router());
  const json = jsonBody(DECISION_BODY_LIMIT);

  router.post('/rollouts/:id/stages/:stageId/calibrations', json, async (req, res) => {
    const body = parseBody(CalibrationRequest, req.body);
    const rollout = await requireRollout(pool, req);
    const plan = (await planDefinition(pool, rollout.plan, rollout.version))!;
    const stage = requireStage(plan, req.params.stageId);
    const dataStage = plan.stages.find((candidate) => candidate.id === (body.dataFrom ?? stage.id));
    if (!dataStage) throw invalidField('dataFrom', `the plan has no stage ${body.dataFrom}`);
    const source = dataStage.mode === 'pilot' ? 'pilot' : 'production';
    const production = stage.mode === 'supervised' || stage.mode === 'autonomous';
    if (source === 'pilot' && production && !body.allowPilotData) {
      throw conflict(
        `stage ${dataStage.id} is a pilot: its outcomes do not calibrate the ${stage.mode} stage ${stage.id} unless allowPilotData is true`,
        { reason: 'PilotData' },
      );
    }
    const samples = await calibrationSamples(pool, rollout.rolloutId, dataStage.id);
    const calibration = calibrateThreshold(samples, { targetPrecision: body.targetPrecision, minOutcomes: body.minOutcomes });
    if (!calibration.ok) {
      const detail =
        calibration.reason === 'insufficient-outcomes'
          ? `stage ${dataStage.id} has ${calibration.outcomes} decisions with outcomes; calibration needs at least ${calibration.minOutcomes}`
          : `no threshold reaches precision ${body.targetPrecision}: the best is ${calibration.best.precision} at ${calibration.best.threshold}`;
      throw new Problem(422, ProblemType.invalidRequest, 'Cannot calibrate', detail, undefined, {
        reason: calibration.reason === 'insufficient-outcomes' ? 'InsufficientOutcomes' : 'TargetUnreachable',
        outcomes: calibration.outcomes,
      });
    }
    const previous = (await currentThreshold(pool, rollout.rolloutId, stage.id))?.threshold ?? stage.deferral?.confidenceThreshold ?? null;
    const { ok: _ok, threshold, ...evidence } = calibration;
    const proposal = await insertProposal(pool, {
      proposalId: randomUUID(),
      kind: 'confidence-threshold',
      rolloutId: rollout.rolloutId,
      stageId: stage.id,
      planName: rollout.plan,
      planVersion: rollout.version,
      dataStageId: dataStage.id,
      source,
      allowPilotData: body.allowPilotData,
      threshold,
      previousThreshold: previous,
      targetPrecision: body.targetPrecision,
      minOutcomes: body.minOutcomes,
      evidence,
      proposedBy: principalOf(req).name,
    });
    await recordAuditEvent(pool, {
      eventId: `calibration:${proposal.proposalId}:proposed`,
      rolloutId: rollout.rolloutId,
      planName: rollout.plan,
      planVersion: rollout.version,
      stageId: stage.id,
      type: 'calibration.proposed',
      actor: proposal.proposedBy,
      requestId: req.requestId,
      occurredAt: proposal.proposedAt.toISOString(),
      detail: { proposalId: proposal.proposalId, threshold, previousThreshold: previous, source, dataFrom: dataStage.id, targetPrecision: body.targetPrecision, ...evidence },
    });
    res.status(201).location(proposalPath(proposal)).json(proposalView(proposal));
  });

  router.get('/rollouts/:id/stages/:stageId/calibrations', async (req, res) => {
    const rollout = await requireRollout(pool, req);
    res.json({ proposals: (await listProposals(pool, rollout.rolloutId, req.params.stageId)).map(proposalView) });
  });

  const requireProposal = async (req: Request<{ id: string; stageId: string; proposalId: string }>): Promise<ProposalRow> => {
    const proposal = await getProposal(pool, req.params.proposalId);
    if (!proposal || proposal.rolloutId !== req.params.id || proposal.stageId !== req.params.stageId) {
      throw notFound(`no calibration ${req.params.proposalId} for stage ${req.params.stageId} of rollout ${req.params.id}`);
    }
    return proposal;
  };

  router.get('/rollouts/:id/stages/:stageId/calibrations/:proposalId', async (req, res) => {
    res.json(proposalView(await requireProposal(req)));
  });

  /**
   * A calibration takes effect once one holder of a stage approval role approves it: the
   * threshold is a setting of the stage, not a stage sign-off, and one accountable approver is
   * what a plan's own sign-off asks of each role. The approver may not be the person who asked
   * for the calibration (unless the plan allows self-approval), so two people see every change.
   */
  router.post('/rollouts/:id/stages/:stageId/calibrations/:proposalId/approvals', json, async (req, res) => {
    const body = parseBody(ProposalDecisionRequest, req.body);
    const proposal = await requireProposal(req);
    const principal = principalOf(req);
    const plan = (await planDefinition(pool, proposal.planName, proposal.planVersion))!;
    const stage = requireStage(plan, proposal.stageId);
    const roles = [...new Set(stage.approvals.map((approval) => approval.role))];
    const role = roles.find((candidate) => holdsRole(plan.roles, actorOf(principal), candidate));
    const deny = async (reason: string, detail: string) => {
      const rollout = { rolloutId: proposal.rolloutId, plan: proposal.planName, version: proposal.planVersion };
      await auditDenied(pool, rollout, req, principal, { action: 'calibration.approval', reason: detail, stageId: proposal.stageId });
      return forbidden(detail, { reason });
    };
    if (role === undefined) throw await deny('NotAuthorized', `${principal.name} holds none of the roles that sign off stage ${stage.id}: ${roles.join(', ')}`);
    if (principal.name === proposal.proposedBy && !plan.allowSelfApproval) {
      throw await deny('SelfApprovalDenied', `${principal.name} asked for this calibration and may not approve it too`);
    }
    const decided = await decideProposal(pool, { proposalId: proposal.proposalId, decision: body.decision, by: principal.name, role, ...(body.comment ? { comment: body.comment } : {}) });
    const current = decided ?? (await getProposal(pool, proposal.proposalId))!;
    const repeat = !decided && current.decidedBy === principal.name && current.state === (body.decision === 'approve' ? 'approved' : 'rejected');
    if (!decided && !repeat) {
      throw conflict(`calibration ${proposal.proposalId} is already ${current.state}`, { reason: 'ProposalDecided', state: current.state });
    }
    await recordAuditEvent(pool, {
      eventId: `calibration:${current.proposalId}:${current.state}`,
      rolloutId: current.rolloutId,
      planName: current.planName,
      planVersion: current.planVersion,
      stageId: current.stageId,
      type: `calibration.${current.state}`,
      actor: current.decidedBy!,
      role: current.decidedRole!,
      ...(current.decisionComment ? { reason: current.decisionComment } : {}),
      requestId: req.requestId,
      occurredAt: current.decidedAt!.toISOString(),
      detail: {
        proposalId: current.proposalId,
        threshold: current.threshold,
        previousThreshold: current.previousThreshold,
        source: current.source,
        ...(current.effectiveFrom ? { effectiveFrom: current.effectiveFrom.toISOString() } : {}),
      },
    });
    res.json(proposalView(current));
  });

  return router;
}
