// Analytics events → AnalyticsDataset (per product), QueryJob and QueryReceipt: what the
// catalogue shows about an analytics product (rows, k, privacy budget left) and a buyer's
// queries with their fate. Money counts once it reaches the seller: when a job completes.
import { Address, BigInt, Bytes } from "@graphprotocol/graph-ts";
import {
  DatasetCommitted,
  JobCompleted,
  JobRefunded,
  QueryRefused,
  QueryRequested,
  ResultRecorded,
} from "../generated/Analytics/Analytics";
import { AnalyticsDataset, Product, QueryJob, QueryReceipt } from "../generated/schema";
import { getAccount, getStats, JOB_STATUSES, nameOf, PURPOSES, REFUSAL_REASONS } from "./shared";

const OPEN = 1;
const COMPLETED = 2;
const REFUSED = 3;
const REFUNDED = 4;

export function handleDatasetCommitted(event: DatasetCommitted): void {
  const p = event.params;
  const id = p.productId.toString();
  let d = AnalyticsDataset.load(id);
  if (d == null) {
    d = new AnalyticsDataset(id);
    d.product = id;
    d.epsilonSpent = 0;
    d.queryCount = 0;
  }
  d.version = p.version.toI32();
  d.manifestHash = p.manifestHash;
  d.manifestURI = p.manifestURI;
  d.bundleHashes = p.bundleHashes.map<Bytes>((h) => h);
  d.rows = p.rows.toI32();
  d.minCohort = p.minCohort;
  d.epsilonPerQuery = p.epsilonPerQuery.toI32();
  d.epsilonBudget = p.epsilonBudget.toI32();
  d.jobTimeout = p.jobTimeout.toI32();
  d.committedAt = event.block.timestamp;
  d.save();
  const product = Product.load(id);
  if (product != null) {
    product.dataset = id;
    product.save();
  }
}

export function handleQueryRequested(event: QueryRequested): void {
  const p = event.params;
  const job = new QueryJob(p.jobId.toString());
  job.jobId = p.jobId;
  job.product = p.productId.toString();
  job.dataset = p.productId.toString();
  job.datasetVersion = p.datasetVersion.toI32();
  job.consumer = getAccount(p.consumer).id;
  job.purpose = nameOf(PURPOSES, p.purpose);
  job.queryHash = p.queryHash;
  job.amount = p.amount;
  job.epsilonCharged = p.epsilonCharged.toI32();
  job.status = nameOf(JOB_STATUSES, OPEN);
  job.createdAt = event.block.timestamp;
  job.deadline = p.deadline;
  job.results = 0;
  job.refusals = 0;
  job.save();
  const d = AnalyticsDataset.load(job.dataset);
  if (d != null) {
    d.epsilonSpent += job.epsilonCharged;
    d.queryCount += 1;
    d.save();
  }
}

export function handleResultRecorded(event: ResultRecorded): void {
  const p = event.params;
  const r = new QueryReceipt(p.jobId.toString() + "-" + p.node.toHexString());
  r.job = p.jobId.toString();
  r.node = p.node;
  r.resultHash = p.resultHash;
  r.at = event.block.timestamp;
  r.save();
  const job = QueryJob.load(p.jobId.toString());
  if (job != null) {
    job.results += 1;
    job.save();
  }
}

export function handleQueryRefused(event: QueryRefused): void {
  const p = event.params;
  const r = new QueryReceipt(p.jobId.toString() + "-" + p.node.toHexString());
  r.job = p.jobId.toString();
  r.node = p.node;
  r.refusal = nameOf(REFUSAL_REASONS, p.reason);
  r.at = event.block.timestamp;
  r.save();
  const job = QueryJob.load(p.jobId.toString());
  if (job != null) {
    job.refusals += 1;
    job.save();
  }
}

export function handleJobCompleted(event: JobCompleted): void {
  const job = QueryJob.load(event.params.jobId.toString());
  if (job == null) return;
  job.status = nameOf(JOB_STATUSES, COMPLETED);
  job.closedAt = event.block.timestamp;
  job.save();
  const amount = event.params.amount;
  const product = Product.load(job.product);
  if (product != null) {
    product.salesCount += 1;
    product.revenue = product.revenue.plus(amount);
    product.save();
  }
  const seller = getAccount(Address.fromBytes(event.params.seller));
  seller.salesCount += 1;
  seller.revenue = seller.revenue.plus(amount);
  seller.save();
  const consumer = getAccount(Address.fromBytes(job.consumer));
  consumer.spent = consumer.spent.plus(amount);
  consumer.save();
  const stats = getStats();
  stats.volume = stats.volume.plus(amount);
  stats.save();
}

export function handleJobRefunded(event: JobRefunded): void {
  const job = QueryJob.load(event.params.jobId.toString());
  if (job == null) return;
  // Refused: so many nodes refused that a threshold of results is impossible (the contract refunds
  // in the same transaction, keeping the ε spent); otherwise a refund after the deadline.
  const product = Product.load(job.product);
  const refused = product != null && job.refusals > product.deliveryAgents.length - product.threshold;
  job.status = nameOf(JOB_STATUSES, refused ? REFUSED : REFUNDED);
  job.closedAt = event.block.timestamp;
  job.save();
  const d = AnalyticsDataset.load(job.dataset);
  if (d != null && !event.params.epsilonReturned.isZero()) {
    d.epsilonSpent -= event.params.epsilonReturned.toI32();
    d.save();
  }
}
