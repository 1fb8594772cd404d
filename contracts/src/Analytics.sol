// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Catalogue} from "./Catalogue.sol";
import {Policies} from "./Policies.sol";
import {Agreements} from "./Agreements.sol";
import {IAnalyticsErrors} from "./interfaces/IMarketErrors.sol";
import {JobStatus, ProductType, Purpose, RefusalReason} from "./MarketTypes.sol";

/// @title Analytics
/// @notice Dataset commitments and paid query jobs for analytics products (MKT-FUN-12;
/// docs/analytics.md). The seller of an `Analytics` product splits its table into Shamir shares
/// held by the product's computation agents (its Catalogue delivery agents, the SMPC nodes) and
/// commits here to what each node holds (`bundleHashes`, one per agent in the Catalogue's
/// order), to the public manifest (schema, allowed queries, privacy rules) and to the privacy
/// settings. A buyer pays for one query at a time: `requestQuery` checks them like a purchase
/// (`Agreements.checkEligible`, same errors), pins the policy version and the manifest they saw,
/// charges the query's ε to the dataset's privacy budget and holds the price in escrow. Each node
/// answers a job once, with a result receipt (the hash of the result share it sealed to the
/// buyer) or a refusal. A threshold of results (the Catalogue's `threshold`) completes the job
/// and pays the seller; once so many nodes refused that a threshold is no longer possible the
/// buyer is refunded (the ε stays spent: a refusal tells the buyer something); a job still open
/// after its deadline can be refunded by anyone, and its ε is given back (nothing was revealed).
/// A commitment also binds the product's agent list and threshold: when the seller changes them
/// in the Catalogue, requests and receipts for that dataset version revert (`AgentsChanged`)
/// until a new version is committed; open jobs of the old version run out and are refunded.
/// Its errors are declared in `IAnalyticsErrors`.
/// @dev Limitation: a policy requiring the seller's approval of each request is refused
/// (`QueryNeedsApproval`); query jobs have no pending state.
/// Invariants:
/// - the token balance of this contract equals `totalEscrowed` (more only if someone transfers
///   tokens to it directly), which equals Σ `amount` over Open jobs;
/// - `epsilonSpent ≤ epsilonBudget` for every dataset whose `epsilonPerQuery` > 0; with
///   `epsilonPerQuery` 0 (no noise) the budget is not enforced and ε spent under an earlier
///   version may exceed it; `epsilonSpent` ≥ Σ `epsilonCharged` over the product's Open jobs;
/// - a job's status only moves None → Open → one of Completed, Refused, Refunded, which are
///   final: a job pays the seller at most once, refunds the buyer at most once, never both;
/// - a node answers a job at most once (a result or a refusal); `results ≤ threshold` and
///   `refusals ≤ agents − threshold + 1` of the job's dataset version.
contract Analytics is ReentrancyGuardTransient, IAnalyticsErrors {
    using SafeERC20 for IERC20;

    /// @notice What the seller commits to: `commitDataset`'s argument.
    struct DatasetInput {
        bytes32 manifestHash; // keccak256 of the manifest's canonical JSON
        string manifestURI; // ipfs://<cid> or https://…
        bytes32[] bundleHashes; // SHA-256 of each agent's encrypted bundle, in agent order
        uint32 rows;
        uint16 minCohort; // cells counting fewer rows are suppressed
        uint32 epsilonPerQuery; // thousandths of ε charged per query; 0 = no noise
        uint32 epsilonBudget; // thousandths of ε for all queries of all buyers
        uint32 jobTimeout; // seconds the agents have to answer a job
    }

    /// @notice A product's current dataset. The small fields share one storage slot.
    struct Dataset {
        bytes32 manifestHash;
        string manifestURI;
        bytes32[] bundleHashes;
        uint32 rows;
        uint16 minCohort;
        uint32 epsilonPerQuery;
        uint32 epsilonBudget;
        uint32 epsilonSpent; // kept across versions; charged per request, given back by `refund`
        uint32 jobTimeout;
        uint32 version; // 1, 2, …; 0 = never committed
        uint40 committedAt;
    }

    /// @notice A query job, in four storage slots.
    struct Job {
        address consumer;
        uint64 productId;
        uint40 createdAt;
        uint40 deadline; // results until (inclusive), refund after
        JobStatus status;
        Purpose purpose;
        uint32 policyVersion;
        uint32 datasetVersion;
        uint8 results; // result receipts recorded
        uint8 refusals; // refusals recorded
        uint32 epsilonCharged;
        uint128 amount; // paid into escrow; kept as the record once the job is closed
        bytes32 queryHash; // keccak256 of the validated query's canonical JSON
    }

    uint32 public constant MIN_JOB_TIMEOUT = 60;
    uint32 public constant MAX_JOB_TIMEOUT = 7 days;
    uint16 public constant MIN_COHORT = 2;

    IERC20 public immutable token;
    Catalogue public immutable catalogue;
    Policies public immutable policies;
    Agreements public immutable agreements;

    uint256 public jobCount;
    uint256 public totalEscrowed;
    mapping(uint256 productId => Dataset) private _datasets;
    /// @dev keccak256(abi.encode(agents, threshold)) of the product when each version was committed.
    mapping(uint256 productId => mapping(uint32 version => bytes32)) private _agentsHashes;
    mapping(uint256 jobId => Job) private _jobs;
    /// @notice The result receipt (hash of the sealed result share) a node recorded; zero if none.
    mapping(uint256 jobId => mapping(address node => bytes32 resultHash)) public resultOf;
    /// @dev 1 + the RefusalReason a node recorded; 0 if none.
    mapping(uint256 jobId => mapping(address node => uint8)) private _refusals;

    event DatasetCommitted(
        uint256 indexed productId,
        uint32 version,
        bytes32 manifestHash,
        string manifestURI,
        bytes32[] bundleHashes,
        uint32 rows,
        uint16 minCohort,
        uint32 epsilonPerQuery,
        uint32 epsilonBudget,
        uint32 jobTimeout
    );
    event QueryRequested(
        uint256 indexed jobId,
        uint256 indexed productId,
        address indexed consumer,
        bytes32 queryHash,
        uint32 datasetVersion,
        Purpose purpose,
        uint256 amount,
        uint32 epsilonCharged,
        uint40 deadline
    );
    event ResultRecorded(uint256 indexed jobId, address indexed node, bytes32 resultHash);
    event QueryRefused(uint256 indexed jobId, address indexed node, RefusalReason reason);
    event JobCompleted(uint256 indexed jobId, address indexed seller, uint256 amount);
    event JobRefunded(uint256 indexed jobId, address indexed consumer, uint256 amount, uint32 epsilonReturned);

    /// @param agreements_ Checks eligibility; must use the same token, catalogue and policies.
    constructor(IERC20 token_, Catalogue catalogue_, Policies policies_, Agreements agreements_) {
        if (
            address(token_) == address(0) || address(catalogue_) == address(0) || address(policies_) == address(0)
                || address(agreements_) == address(0)
        ) revert ZeroAddress();
        if (agreements_.token() != token_ || agreements_.catalogue() != catalogue_ || agreements_.policies() != policies_)
        {
            revert DependencyMismatch();
        }
        token = token_;
        catalogue = catalogue_;
        policies = policies_;
        agreements = agreements_;
    }

    // --- sellers ---

    /// @notice Commits a new version of the product's dataset (see `DatasetInput`). Only the
    /// seller of an analytics product. One non-zero bundle hash per computation agent, in the
    /// Catalogue's agent order; the agent list and threshold are bound to this version.
    /// `minCohort` ≥ 2; `jobTimeout` within [60 s, 7 days]; `epsilonPerQuery` ≤ `epsilonBudget`
    /// (0 = no noise: the budget is then not enforced and may be 0). ε spent so far is kept: with
    /// noise on the budget may be raised but not set below it (`BudgetBelowSpent`). Open jobs
    /// keep the version they pinned.
    function commitDataset(uint256 productId, DatasetInput calldata d) external {
        Catalogue.Terms memory terms = catalogue.termsOf(productId);
        if (terms.seller == address(0)) revert ProductNotFound(productId);
        if (terms.seller != msg.sender) revert NotSeller(productId, msg.sender);
        if (terms.productType != ProductType.Analytics) revert NotAnalyticsProduct(productId, terms.productType);
        (address[] memory agents, uint8 threshold) = catalogue.agentsOf(productId);
        if (d.manifestHash == bytes32(0)) revert InvalidManifestHash();
        bytes memory uri = bytes(d.manifestURI);
        if (!_hasPrefix(uri, "ipfs://") && !_hasPrefix(uri, "https://")) revert InvalidManifestURI();
        uint256 n = d.bundleHashes.length;
        if (n != agents.length) revert InvalidBundleHashes(n, agents.length);
        for (uint256 i; i < n; ++i) {
            if (d.bundleHashes[i] == bytes32(0)) revert InvalidBundleHashes(n, agents.length);
        }
        if (d.rows == 0) revert InvalidRows();
        if (d.minCohort < MIN_COHORT) revert InvalidMinCohort(d.minCohort);
        if (d.jobTimeout < MIN_JOB_TIMEOUT || d.jobTimeout > MAX_JOB_TIMEOUT) revert InvalidJobTimeout(d.jobTimeout);
        if (d.epsilonPerQuery > d.epsilonBudget) revert InvalidEpsilon(d.epsilonPerQuery, d.epsilonBudget);

        Dataset storage s = _datasets[productId];
        uint32 spent = s.epsilonSpent;
        if (d.epsilonPerQuery != 0 && d.epsilonBudget < spent) revert BudgetBelowSpent(d.epsilonBudget, spent);
        uint32 version = s.version + 1;
        s.manifestHash = d.manifestHash;
        s.manifestURI = d.manifestURI;
        s.bundleHashes = d.bundleHashes;
        s.rows = d.rows;
        s.minCohort = d.minCohort;
        s.epsilonPerQuery = d.epsilonPerQuery;
        s.epsilonBudget = d.epsilonBudget;
        s.jobTimeout = d.jobTimeout;
        s.version = version;
        s.committedAt = uint40(block.timestamp);
        _agentsHashes[productId][version] = keccak256(abi.encode(agents, threshold));
        emit DatasetCommitted(
            productId,
            version,
            d.manifestHash,
            d.manifestURI,
            d.bundleHashes,
            d.rows,
            d.minCohort,
            d.epsilonPerQuery,
            d.epsilonBudget,
            d.jobTimeout
        );
    }

    // --- buyers ---

    /// @notice Pays for one query on `productId`'s dataset: the product's (one-time) price goes
    /// into escrow from the caller's DataToken allowance until the job completes (paid to the
    /// seller) or is refused or refunded (back to the caller). The caller must be eligible as
    /// for a purchase (the `IEligibilityErrors` error of the verdict otherwise). A buyer may
    /// have several jobs open at once.
    /// @param policyVersion The policy version the caller agreed to (`PolicyVersionChanged`).
    /// @param manifestHash The dataset manifest the caller saw (`DatasetChanged`).
    /// @param queryHash keccak256 of the query's canonical JSON, which the caller sends to the
    /// agents off chain; non-zero.
    /// @param maxPrice The most the caller accepts to pay (`PriceAboveMax`).
    /// @return jobId The new job (ids start at 1).
    function requestQuery(
        uint256 productId,
        Purpose purpose,
        uint32 policyVersion,
        bytes32 manifestHash,
        bytes32 queryHash,
        uint256 maxPrice
    ) external nonReentrant returns (uint256 jobId) {
        return _request(productId, purpose, policyVersion, manifestHash, queryHash, maxPrice);
    }

    /// @notice `requestQuery` with an EIP-2612 permit for `maxPrice`, so approval and payment take
    /// one transaction. A permit that fails (e.g. already used by a front-runner) is ignored; the
    /// transfer then needs an allowance as usual.
    function requestQueryWithPermit(
        uint256 productId,
        Purpose purpose,
        uint32 policyVersion,
        bytes32 manifestHash,
        bytes32 queryHash,
        uint256 maxPrice,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 jobId) {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), maxPrice, deadline, v, r, s) {} catch {}
        return _request(productId, purpose, policyVersion, manifestHash, queryHash, maxPrice);
    }

    /// @notice Gives an open job's payment back to its buyer once its deadline has passed
    /// without a threshold of results, and its ε back to the dataset's budget. Anyone may call it.
    function refund(uint256 jobId) external nonReentrant {
        Job storage job = _existing(jobId);
        if (job.status != JobStatus.Open) revert JobNotOpen(jobId, job.status);
        if (block.timestamp <= job.deadline) revert JobNotExpired(jobId, job.deadline);
        uint128 amount = job.amount;
        uint32 epsilon = job.epsilonCharged;
        address consumer = job.consumer;
        job.status = JobStatus.Refunded;
        totalEscrowed -= amount;
        if (epsilon != 0) _datasets[job.productId].epsilonSpent -= epsilon;
        emit JobRefunded(jobId, consumer, amount, epsilon);
        if (amount > 0) token.safeTransfer(consumer, amount);
    }

    // --- computation agents ---

    /// @notice Records that the caller, a computation agent of the job's product, sealed its
    /// share of the result to the buyer (`resultHash`: keccak256 of the envelope). Each agent
    /// answers a job once, before its deadline. The receipt that reaches the product's threshold
    /// completes the job and pays the escrow to the seller.
    function recordResult(uint256 jobId, bytes32 resultHash) external nonReentrant {
        (Job storage job, uint256 threshold,) = _answering(jobId);
        if (resultHash == bytes32(0)) revert InvalidResultHash();
        resultOf[jobId][msg.sender] = resultHash;
        uint8 results = job.results + 1;
        job.results = results;
        emit ResultRecorded(jobId, msg.sender, resultHash);
        if (results < threshold) return;

        uint128 amount = job.amount;
        address seller = catalogue.sellerOf(job.productId);
        job.status = JobStatus.Completed;
        totalEscrowed -= amount;
        emit JobCompleted(jobId, seller, amount);
        if (amount > 0) token.safeTransfer(seller, amount);
    }

    /// @notice Records that the caller, a computation agent of the job's product, refuses the
    /// job for `reason`. Each agent answers a job once, before its deadline. Once more agents
    /// refused than could be spared (agents − threshold), no threshold of results is possible:
    /// the job is `Refused` and the buyer refunded in full; the ε stays spent.
    function recordRefusal(uint256 jobId, RefusalReason reason) external nonReentrant {
        (Job storage job, uint256 threshold, uint256 agents) = _answering(jobId);
        _refusals[jobId][msg.sender] = uint8(reason) + 1;
        uint8 refusals = job.refusals + 1;
        job.refusals = refusals;
        emit QueryRefused(jobId, msg.sender, reason);
        if (refusals <= agents - threshold) return;

        uint128 amount = job.amount;
        address consumer = job.consumer;
        job.status = JobStatus.Refused;
        totalEscrowed -= amount;
        emit JobRefunded(jobId, consumer, amount, 0);
        if (amount > 0) token.safeTransfer(consumer, amount);
    }

    // --- views ---

    /// @notice The product's current dataset; all zero (`version` 0) when none was committed.
    function datasetOf(uint256 productId) external view returns (Dataset memory) {
        return _datasets[productId];
    }

    /// @notice The stored job; reverts for an unknown id.
    function getJob(uint256 jobId) external view returns (Job memory) {
        return _existing(jobId);
    }

    /// @notice Whether `node` refused job `jobId`, and why (`reason` is meaningless when not).
    /// A node has answered a job iff `resultOf` is non-zero or `refused` (see `answered`).
    function refusalOf(uint256 jobId, address node) external view returns (bool refused, RefusalReason reason) {
        uint8 r = _refusals[jobId][node];
        if (r != 0) return (true, RefusalReason(r - 1));
    }

    /// @notice Whether `node` recorded a result or a refusal for job `jobId`.
    function answered(uint256 jobId, address node) public view returns (bool) {
        return resultOf[jobId][node] != bytes32(0) || _refusals[jobId][node] != 0;
    }

    /// @notice Thousandths of ε the product's dataset has left (budget − spent, 0 when spent
    /// reaches or exceeds it). A query can be requested while this is ≥ `epsilonPerQuery`
    /// (always, when `epsilonPerQuery` is 0).
    function epsilonLeft(uint256 productId) public view returns (uint32) {
        Dataset storage d = _datasets[productId];
        return d.epsilonBudget > d.epsilonSpent ? d.epsilonBudget - d.epsilonSpent : 0;
    }

    // --- internals ---

    function _request(
        uint256 productId,
        Purpose purpose,
        uint32 policyVersion,
        bytes32 manifestHash,
        bytes32 queryHash,
        uint256 maxPrice
    ) private returns (uint256 jobId) {
        // The checks of a purchase, with the errors of a purchase.
        agreements.checkEligible(productId, msg.sender, purpose);
        Policies.Policy memory policy = policies.policyOf(productId);
        if (policyVersion != policy.version) revert PolicyVersionChanged(productId, policyVersion, policy.version);
        if (policy.requiresApproval) revert QueryNeedsApproval(productId);
        Dataset storage d = _datasets[productId];
        uint32 version = d.version;
        if (version == 0) revert NoDataset(productId);
        if (manifestHash != d.manifestHash) revert DatasetChanged(manifestHash, d.manifestHash);
        (address[] memory agents, uint8 threshold) = catalogue.agentsOf(productId);
        if (keccak256(abi.encode(agents, threshold)) != _agentsHashes[productId][version]) {
            revert AgentsChanged(productId);
        }
        if (queryHash == bytes32(0)) revert InvalidQueryHash();
        uint256 price = catalogue.termsOf(productId).price;
        if (price > maxPrice) revert PriceAboveMax(price, maxPrice);
        uint32 epsilon = d.epsilonPerQuery;
        if (epsilon != 0) {
            uint32 left = epsilonLeft(productId);
            if (epsilon > left) revert PrivacyBudgetExhausted(productId, left);
            d.epsilonSpent += epsilon;
        }

        uint40 deadline = uint40(block.timestamp + d.jobTimeout);
        jobId = ++jobCount;
        _jobs[jobId] = Job({
            consumer: msg.sender,
            productId: uint64(productId),
            createdAt: uint40(block.timestamp),
            deadline: deadline,
            status: JobStatus.Open,
            purpose: purpose,
            policyVersion: policy.version,
            datasetVersion: version,
            results: 0,
            refusals: 0,
            epsilonCharged: epsilon,
            amount: uint128(price),
            queryHash: queryHash
        });
        totalEscrowed += price;
        emit QueryRequested(jobId, productId, msg.sender, queryHash, version, purpose, price, epsilon, deadline);
        if (price > 0) token.safeTransferFrom(msg.sender, address(this), price);
    }

    /// @dev The checks of a receipt or refusal by the caller: a computation agent of the job's
    /// product, the job open and before its deadline, the agents unchanged since the job's
    /// dataset version was committed, the caller's first answer. Returns the job, the threshold
    /// of results and the number of agents.
    function _answering(uint256 jobId) private view returns (Job storage job, uint256 threshold, uint256 count) {
        job = _existing(jobId);
        uint256 productId = job.productId;
        (address[] memory agents, uint8 t) = catalogue.agentsOf(productId);
        bool isAgent;
        for (uint256 i; i < agents.length; ++i) {
            if (agents[i] == msg.sender) {
                isAgent = true;
                break;
            }
        }
        if (!isAgent) revert NotComputationAgent(jobId, msg.sender);
        if (job.status != JobStatus.Open) revert JobNotOpen(jobId, job.status);
        if (block.timestamp > job.deadline) revert JobExpired(jobId, job.deadline);
        if (keccak256(abi.encode(agents, t)) != _agentsHashes[productId][job.datasetVersion]) {
            revert AgentsChanged(productId);
        }
        if (answered(jobId, msg.sender)) revert AlreadyAnswered(jobId, msg.sender);
        return (job, t, agents.length);
    }

    function _existing(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.status == JobStatus.None) revert JobNotFound(jobId);
    }

    function _hasPrefix(bytes memory s, bytes memory prefix) private pure returns (bool) {
        if (s.length <= prefix.length) return false;
        for (uint256 i; i < prefix.length; ++i) {
            if (s[i] != prefix[i]) return false;
        }
        return true;
    }
}
