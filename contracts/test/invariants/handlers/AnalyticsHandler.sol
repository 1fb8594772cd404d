// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../../utils/Test.sol";
import {DataToken} from "../../../src/DataToken.sol";
import {Credentials} from "../../../src/Credentials.sol";
import {Catalogue} from "../../../src/Catalogue.sol";
import {Policies} from "../../../src/Policies.sol";
import {Analytics} from "../../../src/Analytics.sol";
import {JobStatus, Purpose, RefusalReason} from "../../../src/MarketTypes.sol";

/// @dev Drives Analytics with random but mostly valid calls from a fixed cast: consumers (one of
/// them unregistered), the products' sellers, their computation agents plus one account that is
/// none, the credential issuer and the token admin. Every action swallows reverts (try/catch); a
/// rejected call leaves the ghosts untouched. Ghost state, never read back from the contract:
/// - ghostMinted: every token minted (DataToken has no burn);
/// - ghostEscrow: Σ price of the jobs this handler opened and saw neither paid nor refunded;
/// - ghostPaid[id] / ghostRefunded[id]: how many times job `id` paid its seller / refunded its
///   buyer, measured as balance changes around each call (must stay ≤ 1 together);
/// - lastStatus[id]: the status observed after the previous action; `ghostViolations` counts
///   every observed move other than None → Open → Completed | Refused | Refunded, and every
///   payment that did not match the job's amount.
/// Requests pin the current policy version and manifest three times out of four, a stale one
/// otherwise (a seller's change racing the buyer's transaction).
contract AnalyticsHandler is Test {
    DataToken public immutable token;
    Credentials public immutable credentials;
    Catalogue public immutable catalogue;
    Policies public immutable policies;
    Analytics public immutable analytics;
    address public immutable admin;
    address public immutable issuer;

    address[] public consumers;
    address[] public nodes; // every agent of any product, plus one account that is none
    uint256[] public products;

    uint256 public ghostMinted;
    uint256 public ghostEscrow;
    uint256 public ghostViolations;
    string public lastViolation;
    mapping(uint256 jobId => uint256) public ghostPaid;
    mapping(uint256 jobId => uint256) public ghostRefunded;
    mapping(uint256 jobId => JobStatus) public lastStatus;
    mapping(string action => uint256) public successes;

    constructor(
        DataToken token_,
        Credentials credentials_,
        Catalogue catalogue_,
        Policies policies_,
        Analytics analytics_,
        address admin_,
        address issuer_
    ) {
        token = token_;
        credentials = credentials_;
        catalogue = catalogue_;
        policies = policies_;
        analytics = analytics_;
        admin = admin_;
        issuer = issuer_;
    }

    // --- setup (called by the invariant test's setUp, not targeted) ---

    function addConsumer(address who) external {
        consumers.push(who);
    }

    function addNode(address who) external {
        nodes.push(who);
    }

    function addProduct(uint256 productId) external {
        products.push(productId);
    }

    function consumerCount() external view returns (uint256) {
        return consumers.length;
    }

    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }

    function productCount() external view returns (uint256) {
        return products.length;
    }

    // --- actions ---

    function mint(uint256 actorSeed, uint256 amount) public {
        address to = consumers[actorSeed % consumers.length];
        amount = bound(amount, 0, 500e18);
        vm.prank(admin);
        token.mint(to, amount);
        ghostMinted += amount;
        vm.prank(to);
        token.approve(address(analytics), type(uint256).max);
        _observe();
    }

    function request(uint256 actorSeed, uint256 productSeed, uint256 querySeed, uint8 pinSeed) public {
        address consumer = consumers[actorSeed % consumers.length];
        uint256 productId = products[productSeed % products.length];
        uint32 version = policies.policyOf(productId).version;
        bytes32 manifest = analytics.datasetOf(productId).manifestHash;
        if (pinSeed % 4 == 1) version = version > 1 ? version - 1 : version + 1;
        if (pinSeed % 4 == 2) manifest = keccak256(abi.encode("stale", manifest));
        bytes32 queryHash = keccak256(abi.encode("query", querySeed % 8));
        uint256 before = token.balanceOf(consumer);
        vm.prank(consumer);
        try analytics.requestQuery(productId, Purpose.Research, version, manifest, queryHash, type(uint256).max)
        returns (uint256 id) {
            Analytics.Job memory j = analytics.getJob(id);
            _expect(before - token.balanceOf(consumer) == j.amount, "request: buyer paid the job's amount");
            _expect(j.amount == catalogue.termsOf(productId).price, "request: amount is the price");
            _expect(lastStatus[id] == JobStatus.None && j.status == JobStatus.Open, "request: a new Open job");
            ghostEscrow += j.amount;
            lastStatus[id] = JobStatus.Open;
            successes["request"]++;
        } catch {}
        _observe();
    }

    function result(uint256 jobSeed, uint256 nodeSeed, uint256 hashSeed) public {
        (uint256 id, Analytics.Job memory j) = _job(jobSeed);
        if (id == 0) return;
        address node = nodes[nodeSeed % nodes.length];
        address seller = catalogue.sellerOf(j.productId);
        uint256 before = token.balanceOf(seller);
        vm.prank(node);
        try analytics.recordResult(id, keccak256(abi.encode(hashSeed, node)) | bytes32(uint256(1))) {
            uint256 paid = token.balanceOf(seller) - before;
            if (analytics.getJob(id).status == JobStatus.Completed) {
                _expect(paid == j.amount, "result: the completing receipt pays the amount");
                ghostPaid[id]++;
                ghostEscrow -= j.amount;
                successes["complete"]++;
            } else {
                _expect(paid == 0, "result: no payment below the threshold");
            }
            successes["result"]++;
        } catch {}
        _observe();
    }

    function refuse(uint256 jobSeed, uint256 nodeSeed, uint8 reasonSeed) public {
        (uint256 id, Analytics.Job memory j) = _job(jobSeed);
        if (id == 0) return;
        address node = nodes[nodeSeed % nodes.length];
        uint256 before = token.balanceOf(j.consumer);
        vm.prank(node);
        try analytics.recordRefusal(id, RefusalReason(reasonSeed % 6)) {
            uint256 refunded = token.balanceOf(j.consumer) - before;
            if (analytics.getJob(id).status == JobStatus.Refused) {
                _expect(refunded == j.amount, "refusal: the refusing job refunds the amount");
                ghostRefunded[id]++;
                ghostEscrow -= j.amount;
                successes["refused"]++;
            } else {
                _expect(refunded == 0, "refusal: no refund while a threshold is possible");
            }
            successes["refusal"]++;
        } catch {}
        _observe();
    }

    function refund(uint256 jobSeed, uint256 callerSeed) public {
        (uint256 id, Analytics.Job memory j) = _job(jobSeed);
        if (id == 0) return;
        address caller = callerSeed % 2 == 0 ? j.consumer : consumers[callerSeed % consumers.length];
        uint256 before = token.balanceOf(j.consumer);
        vm.prank(caller);
        try analytics.refund(id) {
            _expect(token.balanceOf(j.consumer) - before == j.amount, "refund: the buyer gets the amount");
            _expect(vm.getBlockTimestamp() > j.deadline, "refund: only after the deadline");
            ghostRefunded[id]++;
            ghostEscrow -= j.amount;
            successes["refund"]++;
        } catch {}
        _observe();
    }

    /// @dev A new dataset version: a budget around what was spent (below it reverts), noise
    /// sometimes off, sometimes a new manifest (open requests pinning the old one then revert).
    function recommit(uint256 productSeed, uint32 budgetSeed, uint8 noiseSeed, bool newManifest) public {
        uint256 productId = products[productSeed % products.length];
        Analytics.Dataset memory d = analytics.datasetOf(productId);
        uint32 perQuery = noiseSeed % 3 == 0 ? 0 : uint32(bound(noiseSeed, 1, 400));
        uint32 budget = uint32(bound(budgetSeed, d.epsilonSpent > 500 ? d.epsilonSpent - 500 : 0, d.epsilonSpent + 2_000));
        if (budget < perQuery) budget = perQuery;
        Analytics.DatasetInput memory input = Analytics.DatasetInput({
            manifestHash: newManifest ? keccak256(abi.encode(d.manifestHash, d.version)) : d.manifestHash,
            manifestURI: d.manifestURI,
            bundleHashes: d.bundleHashes,
            rows: d.rows,
            minCohort: d.minCohort,
            epsilonPerQuery: perQuery,
            epsilonBudget: budget,
            jobTimeout: uint32(bound(budgetSeed, 60, 2 hours))
        });
        vm.prank(catalogue.sellerOf(productId));
        try analytics.commitDataset(productId, input) {
            successes["recommit"]++;
        } catch {}
        _observe();
    }

    /// @dev The seller swaps its last agent for another account (or back): the dataset's jobs
    /// can then neither be requested nor answered until a re-commit, and run out to a refund.
    function swapAgent(uint256 productSeed) public {
        uint256 productId = products[productSeed % products.length];
        (address[] memory agents, uint8 threshold) = catalogue.agentsOf(productId);
        address last = agents[agents.length - 1];
        for (uint256 i; i < nodes.length; ++i) {
            bool used;
            for (uint256 k; k < agents.length; ++k) {
                if (agents[k] == nodes[i]) used = true;
            }
            if (!used && nodes[i] != last) {
                agents[agents.length - 1] = nodes[i];
                break;
            }
        }
        vm.prank(catalogue.sellerOf(productId));
        try catalogue.setDeliveryAgents(productId, agents, threshold) {
            successes["swapAgent"]++;
        } catch {}
        _observe();
    }

    function revoke(uint256 actorSeed) public {
        address subject = consumers[actorSeed % consumers.length];
        vm.prank(issuer);
        try credentials.revoke(subject) {
            successes["revoke"]++;
        } catch {}
        _observe();
    }

    function warp(uint256 secs) public {
        vm.warp(vm.getBlockTimestamp() + bound(secs, 0, 3 hours));
        _observe();
    }

    // --- internals ---

    /// @dev A job to act on: one of the first jobs, open ones twice as likely; 0 when none exist.
    function _job(uint256 seed) internal view returns (uint256 id, Analytics.Job memory j) {
        uint256 count = analytics.jobCount();
        if (count == 0) return (0, j);
        id = 1 + seed % count;
        j = analytics.getJob(id);
        if (j.status != JobStatus.Open && (seed / count) % 2 == 0) {
            for (uint256 k; k < count; ++k) {
                uint256 other = 1 + (id + k) % count;
                Analytics.Job memory o = analytics.getJob(other);
                if (o.status == JobStatus.Open) return (other, o);
            }
        }
    }

    /// @dev Compares every job's status with the one seen after the previous action.
    function _observe() internal {
        uint256 count = analytics.jobCount();
        for (uint256 id = 1; id <= count; ++id) {
            JobStatus before = lastStatus[id];
            JobStatus now_ = analytics.getJob(id).status;
            if (before == now_) continue;
            bool allowed = (before == JobStatus.None && now_ == JobStatus.Open)
                || (before == JobStatus.Open && now_ != JobStatus.None && now_ != JobStatus.Open);
            _expect(allowed, "status moved backwards or out of a final state");
            lastStatus[id] = now_;
        }
    }

    function _expect(bool ok, string memory what) internal {
        if (ok) return;
        ghostViolations++;
        lastViolation = what;
    }
}
