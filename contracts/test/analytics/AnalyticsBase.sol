// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "../utils/Fixture.sol";
import {Analytics} from "../../src/Analytics.sol";
import {JobStatus, Modality, PricingUnit, ProductType, Purpose} from "../../src/MarketTypes.sol";

/// @dev Shared state and helpers of the Analytics tests, split by concern into the other files of
/// this folder: Commit, Request, Receipts, Refund and Budget (fuzz included); the invariant suite
/// is contracts/test/invariants/Analytics.invariants.t.sol.
/// Every test starts from `product`: alice's analytics product (Smpc), 25 DATA per query, three
/// computation agents node1..node3 with threshold 2, open policy without approval, and a
/// committed dataset (version 1): 10,000 rows, k = 10, ε 0.5 per query out of 2 (500 / 2,000
/// thousandths: four queries), jobs answered within an hour. bob, hospital, university and
/// insurer hold FUNDS of DATA approved to Analytics.
/// State invariants the files exercise together:
/// - token.balanceOf(analytics) == totalEscrowed == Σ amount of Open jobs;
/// - a request either reverts (eligibility error of the verdict, pinned terms, dataset, budget)
///   or creates exactly one Open job charging `epsilonPerQuery` and escrowing the price;
/// - a job leaves Open once: Completed (threshold of results; the seller paid), Refused (more than
///   agents − threshold refusals; buyer refunded, ε kept) or Refunded (after its deadline; buyer
///   refunded, ε given back);
/// - each node answers a job once, before its deadline.
abstract contract AnalyticsBase is Fixture {
    uint96 internal constant PRICE = 25e18;
    uint256 internal constant FUNDS = 1_000e18;
    uint32 internal constant ROWS = 10_000;
    uint16 internal constant MIN_COHORT = 10;
    uint32 internal constant EPSILON = 500;
    uint32 internal constant BUDGET = 2_000;
    uint32 internal constant TIMEOUT = 1 hours;
    bytes32 internal constant MANIFEST = keccak256("manifest v1");
    bytes32 internal constant QUERY = keccak256('{"op":"count","v":1}');
    string internal constant MANIFEST_URI = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";

    Analytics internal analytics;
    uint256 internal product;
    address internal node1 = address(0x5A01);
    address internal node2 = address(0x5A02);
    address internal node3 = address(0x5A03);

    function setUp() public virtual override {
        super.setUp();
        _registerPersonas();
        analytics = new Analytics(token, catalogue, policies, agreements);
        vm.label(address(analytics), "Analytics");
        vm.label(node1, "node1");
        vm.label(node2, "node2");
        vm.label(node3, "node3");
        product = _publishAnalytics(alice, PRICE, _nodes(), 2);
        _setOpenPolicy(product, false);
        _commit(product, _input());
        _fundAnalytics(bob, FUNDS);
        _fundAnalytics(hospital, FUNDS);
        _fundAnalytics(university, FUNDS);
        _fundAnalytics(insurer, FUNDS);
    }

    // --- products and datasets ---

    function _nodes() internal view returns (address[] memory nodes) {
        nodes = new address[](3);
        nodes[0] = node1;
        nodes[1] = node2;
        nodes[2] = node3;
    }

    function _publishAnalytics(address seller, uint96 price, address[] memory nodes, uint8 threshold)
        internal
        returns (uint256 productId)
    {
        vm.prank(seller);
        productId = catalogue.publish(
            ProductType.Analytics,
            Modality.Smpc,
            price,
            PricingUnit.OneTime,
            nodes,
            threshold,
            _description("Readmissions"),
            _noStreams()
        );
        _seen[productId].unit = PricingUnit.OneTime;
    }

    function _bundles(uint256 n) internal pure returns (bytes32[] memory hashes) {
        hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            hashes[i] = keccak256(abi.encode("bundle", i));
        }
    }

    /// @dev The standard dataset for three nodes (see the contract's NatSpec).
    function _input() internal pure returns (Analytics.DatasetInput memory) {
        return Analytics.DatasetInput({
            manifestHash: MANIFEST,
            manifestURI: MANIFEST_URI,
            bundleHashes: _bundles(3),
            rows: ROWS,
            minCohort: MIN_COHORT,
            epsilonPerQuery: EPSILON,
            epsilonBudget: BUDGET,
            jobTimeout: TIMEOUT
        });
    }

    /// @dev Not after `vm.expectRevert`: the seller is read first (see `_expectCommitRevert`).
    function _commit(uint256 productId, Analytics.DatasetInput memory d) internal {
        vm.prank(catalogue.sellerOf(productId));
        analytics.commitDataset(productId, d);
    }

    /// @dev Mints `amount` to `who` and approves Analytics for everything.
    function _fundAnalytics(address who, uint256 amount) internal {
        _mint(who, amount);
        vm.prank(who);
        token.approve(address(analytics), type(uint256).max);
    }

    // --- jobs ---

    /// @dev A query by `consumer` on `productId` for Research, pinning what the consumer would see
    /// (read before the prank: a `vm.expectRevert` before this helper applies to the request).
    function _query(address consumer, uint256 productId) internal returns (uint256 jobId) {
        return _queryAs(consumer, productId, QUERY);
    }

    function _queryAs(address consumer, uint256 productId, bytes32 queryHash) internal returns (uint256 jobId) {
        uint32 version = _seen[productId].version;
        bytes32 manifest = _manifestOf(productId);
        vm.prank(consumer);
        jobId = analytics.requestQuery(productId, Purpose.Research, version, manifest, queryHash, type(uint256).max);
    }

    function _query(address consumer) internal returns (uint256) {
        return _query(consumer, product);
    }

    function _manifestOf(uint256 productId) internal view returns (bytes32) {
        return analytics.datasetOf(productId).manifestHash;
    }

    function _result(address node, uint256 jobId) internal {
        vm.prank(node);
        analytics.recordResult(jobId, keccak256(abi.encode("result", jobId, node)));
    }

    function _resultHash(address node, uint256 jobId) internal pure returns (bytes32) {
        return keccak256(abi.encode("result", jobId, node));
    }

    function _status(uint256 jobId) internal view returns (JobStatus) {
        return analytics.getJob(jobId).status;
    }

    function _assertStatus(uint256 jobId, JobStatus expected) internal view {
        assertEq(uint8(_status(jobId)), uint8(expected), "job status");
    }

    function _assertEscrow(uint256 expected) internal view {
        assertEq(analytics.totalEscrowed(), expected, "totalEscrowed");
        assertEq(token.balanceOf(address(analytics)), expected, "balance == totalEscrowed");
    }
}
