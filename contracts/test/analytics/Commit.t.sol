// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AnalyticsBase} from "./AnalyticsBase.sol";
import {Analytics} from "../../src/Analytics.sol";
import {Agreements} from "../../src/Agreements.sol";
import {Catalogue} from "../../src/Catalogue.sol";
import {Policies} from "../../src/Policies.sol";
import {Modality, PricingUnit, ProductType} from "../../src/MarketTypes.sol";
import {
    IAnalyticsErrors, ICatalogueErrors, IMarketErrors, IProductErrors
} from "../../src/interfaces/IMarketErrors.sol";

/// @dev Construction and `commitDataset`. Invariants:
/// - the constructor refuses a zero dependency and dependencies Agreements does not use;
/// - only the seller of an existing analytics product commits; each commit is a new version
///   (1, 2, …) replacing the dataset, stamped with the time and announced by DatasetCommitted;
/// - one non-zero bundle hash per computation agent, a non-zero manifest hash, an ipfs:// or
///   https:// URI, rows > 0, k ≥ 2, a timeout in [60 s, 7 days], ε per query ≤ budget;
/// - ε spent survives a re-commit; with noise on the budget can rise but not fall below it;
/// - analytics products need computation agents (Catalogue).
contract AnalyticsCommitTest is AnalyticsBase {
    // --- construction ---

    function test_constructor_RevertIf_zeroAddress() public {
        IERC20 t = IERC20(address(token));
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Analytics(IERC20(address(0)), catalogue, policies, agreements);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Analytics(t, Catalogue(address(0)), policies, agreements);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Analytics(t, catalogue, Policies(address(0)), agreements);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.ZeroAddress.selector));
        new Analytics(t, catalogue, policies, Agreements(address(0)));
    }

    function test_constructor_RevertIf_dependenciesDifferFromAgreements() public {
        Catalogue otherCatalogue = new Catalogue(streamRegistry);
        Policies otherPolicies = new Policies(otherCatalogue);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.DependencyMismatch.selector));
        new Analytics(token, otherCatalogue, policies, agreements);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.DependencyMismatch.selector));
        new Analytics(token, catalogue, otherPolicies, agreements);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.DependencyMismatch.selector));
        new Analytics(IERC20(address(0xDEAD)), catalogue, policies, agreements);
    }

    function test_constructor_wiring() public view {
        assertEq(address(analytics.token()), address(token), "token");
        assertEq(address(analytics.catalogue()), address(catalogue), "catalogue");
        assertEq(address(analytics.policies()), address(policies), "policies");
        assertEq(address(analytics.agreements()), address(agreements), "agreements");
        assertEq(analytics.MIN_JOB_TIMEOUT(), 60, "min timeout");
        assertEq(analytics.MAX_JOB_TIMEOUT(), 7 days, "max timeout");
        assertEq(analytics.MIN_COHORT(), 2, "min cohort");
        assertEq(analytics.jobCount(), 0, "no jobs");
        assertEq(analytics.totalEscrowed(), 0, "no escrow");
    }

    // --- commit ---

    function test_commit_storesAndEmits() public {
        uint256 p = _publishAnalytics(alice, PRICE, _nodes(), 2);
        Analytics.DatasetInput memory d = _input();
        vm.expectEmit(address(analytics));
        emit Analytics.DatasetCommitted(
            p, 1, MANIFEST, MANIFEST_URI, d.bundleHashes, ROWS, MIN_COHORT, EPSILON, BUDGET, TIMEOUT
        );
        _commit(p, d);

        Analytics.Dataset memory s = analytics.datasetOf(p);
        assertEq(s.manifestHash, MANIFEST, "manifestHash");
        assertEq(s.manifestURI, MANIFEST_URI, "manifestURI");
        assertEq(s.bundleHashes.length, 3, "bundles");
        for (uint256 i; i < 3; ++i) {
            assertEq(s.bundleHashes[i], d.bundleHashes[i], "bundle hash");
        }
        assertEq(s.rows, ROWS, "rows");
        assertEq(s.minCohort, MIN_COHORT, "minCohort");
        assertEq(s.epsilonPerQuery, EPSILON, "epsilonPerQuery");
        assertEq(s.epsilonBudget, BUDGET, "epsilonBudget");
        assertEq(s.epsilonSpent, 0, "epsilonSpent");
        assertEq(s.jobTimeout, TIMEOUT, "jobTimeout");
        assertEq(s.version, 1, "version");
        assertEq(s.committedAt, T0, "committedAt");
        assertEq(analytics.epsilonLeft(p), BUDGET, "epsilonLeft");
    }

    function test_datasetOf_emptyBeforeCommit() public {
        uint256 p = _publishAnalytics(alice, PRICE, _nodes(), 2);
        Analytics.Dataset memory s = analytics.datasetOf(p);
        assertEq(s.version, 0, "no version");
        assertEq(s.manifestHash, bytes32(0), "no manifest");
        assertEq(analytics.epsilonLeft(p), 0, "no budget");
        assertEq(analytics.datasetOf(999).version, 0, "unknown product");
    }

    function test_recommit_newVersion_keepsSpent_raisesBudget() public {
        _query(bob);
        _query(hospital);
        assertEq(analytics.datasetOf(product).epsilonSpent, 2 * EPSILON, "spent");

        _warpBy(1 days);
        Analytics.DatasetInput memory d = _input();
        d.manifestHash = keccak256("manifest v2");
        d.manifestURI = "https://data.example.org/manifest-v2.json";
        d.epsilonBudget = 5_000;
        d.rows = ROWS + 1;
        vm.expectEmit(address(analytics));
        emit Analytics.DatasetCommitted(
            product, 2, d.manifestHash, d.manifestURI, d.bundleHashes, ROWS + 1, MIN_COHORT, EPSILON, 5_000, TIMEOUT
        );
        _commit(product, d);

        Analytics.Dataset memory s = analytics.datasetOf(product);
        assertEq(s.version, 2, "version 2");
        assertEq(s.manifestHash, d.manifestHash, "new manifest");
        assertEq(s.manifestURI, d.manifestURI, "new uri");
        assertEq(s.rows, ROWS + 1, "new rows");
        assertEq(s.epsilonSpent, 2 * EPSILON, "spent kept across versions");
        assertEq(s.epsilonBudget, 5_000, "budget raised");
        assertEq(s.committedAt, T0 + 1 days, "committedAt");
        assertEq(analytics.epsilonLeft(product), 5_000 - 2 * EPSILON, "left");
        // open jobs keep the version they pinned
        assertEq(analytics.getJob(1).datasetVersion, 1, "job 1 pinned v1");
    }

    function test_recommit_RevertIf_budgetBelowSpent() public {
        _query(bob);
        _query(hospital); // spent 1,000
        Analytics.DatasetInput memory d = _input();
        d.epsilonBudget = 999;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.BudgetBelowSpent.selector, 999, 1_000));
        // exactly what was spent is allowed (no query left)
        d.epsilonBudget = 1_000;
        _commit(product, d);
        assertEq(analytics.epsilonLeft(product), 0, "nothing left");
    }

    function test_recommit_noNoise_budgetMayBeZero_evenBelowSpent() public {
        _query(bob); // spent 500
        Analytics.DatasetInput memory d = _input();
        d.epsilonPerQuery = 0;
        d.epsilonBudget = 0;
        _commit(product, d);
        Analytics.Dataset memory s = analytics.datasetOf(product);
        assertEq(s.epsilonSpent, EPSILON, "spent kept");
        assertEq(s.epsilonBudget, 0, "budget 0");
        assertEq(analytics.epsilonLeft(product), 0, "left saturates at 0");
    }

    function test_commit_RevertIf_notSeller() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, product, bob));
        vm.prank(bob);
        analytics.commitDataset(product, _input());
    }

    function test_commit_RevertIf_computationAgentNotSeller() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, product, node1));
        vm.prank(node1);
        analytics.commitDataset(product, _input());
    }

    function test_commit_RevertIf_productNotFound() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 999));
        vm.prank(alice);
        analytics.commitDataset(999, _input());
    }

    function test_commit_RevertIf_notAnalyticsProduct() public {
        uint256 batch = _publishBatch(alice, 10e18);
        Analytics.DatasetInput memory d = _input();
        d.bundleHashes = _bundles(2);
        vm.expectRevert(
            abi.encodeWithSelector(IAnalyticsErrors.NotAnalyticsProduct.selector, batch, ProductType.Batch)
        );
        vm.prank(alice);
        analytics.commitDataset(batch, d);
    }

    function test_commit_RevertIf_zeroManifestHash() public {
        Analytics.DatasetInput memory d = _input();
        d.manifestHash = bytes32(0);
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidManifestHash.selector));
    }

    function test_commit_RevertIf_badManifestURI() public {
        string[4] memory bad = ["", "ipfs://", "http://example.org/m.json", "ftp://x"];
        for (uint256 i; i < bad.length; ++i) {
            Analytics.DatasetInput memory d = _input();
            d.manifestURI = bad[i];
            _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidManifestURI.selector));
        }
    }

    function test_commit_RevertIf_bundleCountDiffersFromAgents() public {
        Analytics.DatasetInput memory d = _input();
        d.bundleHashes = _bundles(2);
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidBundleHashes.selector, 2, 3));
        d.bundleHashes = _bundles(4);
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidBundleHashes.selector, 4, 3));
        d.bundleHashes = new bytes32[](0);
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidBundleHashes.selector, 0, 3));
    }

    function test_commit_RevertIf_zeroBundleHash() public {
        for (uint256 i; i < 3; ++i) {
            Analytics.DatasetInput memory d = _input();
            d.bundleHashes[i] = bytes32(0);
            _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidBundleHashes.selector, 3, 3));
        }
    }

    function test_commit_RevertIf_noRows() public {
        Analytics.DatasetInput memory d = _input();
        d.rows = 0;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidRows.selector));
    }

    function test_commit_RevertIf_minCohortBelowTwo() public {
        Analytics.DatasetInput memory d = _input();
        d.minCohort = 0;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidMinCohort.selector, 0));
        d.minCohort = 1;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidMinCohort.selector, 1));
        d.minCohort = 2;
        _commit(product, d);
        assertEq(analytics.datasetOf(product).minCohort, 2, "k = 2 allowed");
        d.minCohort = type(uint16).max;
        _commit(product, d);
        assertEq(analytics.datasetOf(product).minCohort, type(uint16).max, "k = max allowed");
    }

    function test_commit_RevertIf_jobTimeoutOutOfRange() public {
        Analytics.DatasetInput memory d = _input();
        d.jobTimeout = 59;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidJobTimeout.selector, 59));
        d.jobTimeout = 0;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidJobTimeout.selector, 0));
        d.jobTimeout = 7 days + 1;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidJobTimeout.selector, 7 days + 1));
        d.jobTimeout = type(uint32).max;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidJobTimeout.selector, type(uint32).max));
        d.jobTimeout = 60;
        _commit(product, d);
        assertEq(analytics.datasetOf(product).jobTimeout, 60, "60 s allowed");
        d.jobTimeout = 7 days;
        _commit(product, d);
        assertEq(analytics.datasetOf(product).jobTimeout, 7 days, "7 days allowed");
    }

    function test_commit_RevertIf_epsilonPerQueryAboveBudget() public {
        Analytics.DatasetInput memory d = _input();
        d.epsilonPerQuery = BUDGET + 1;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidEpsilon.selector, BUDGET + 1, BUDGET));
        d.epsilonPerQuery = 1;
        d.epsilonBudget = 0;
        _expectCommitRevert(d, abi.encodeWithSelector(IAnalyticsErrors.InvalidEpsilon.selector, 1, 0));
        d.epsilonPerQuery = BUDGET; // one query
        d.epsilonBudget = BUDGET;
        _commit(product, d);
    }

    function test_commit_noNoise_zeroBudget() public {
        Analytics.DatasetInput memory d = _input();
        d.epsilonPerQuery = 0;
        d.epsilonBudget = 0;
        _commit(product, d);
        assertEq(analytics.datasetOf(product).epsilonPerQuery, 0, "no noise");
    }

    function test_commit_followsTheAgentCount() public {
        address[] memory one = new address[](1);
        one[0] = node1;
        uint256 p = _publishAnalytics(bob, PRICE, one, 1);
        Analytics.DatasetInput memory d = _input();
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.InvalidBundleHashes.selector, 3, 1));
        vm.prank(bob);
        analytics.commitDataset(p, d);
        d.bundleHashes = _bundles(1);
        vm.prank(bob);
        analytics.commitDataset(p, d);
        assertEq(analytics.datasetOf(p).bundleHashes.length, 1, "one bundle");
    }

    // --- Catalogue: analytics products need computation agents ---

    function test_publishAnalytics_RevertIf_noAgents() public {
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
        vm.prank(alice);
        catalogue.publish(
            ProductType.Analytics, Modality.Smpc, 1, PricingUnit.OneTime, new address[](0), 0, _description("t"), _noStreams()
        );
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.InvalidDeliveryAgents.selector));
        vm.prank(alice);
        catalogue.setDeliveryAgents(product, new address[](0), 0);
    }

    function test_agentsOf() public view {
        (address[] memory agents, uint8 threshold) = catalogue.agentsOf(product);
        assertEq(agents.length, 3, "three agents");
        assertEq(agents[0], node1, "node1");
        assertEq(agents[2], node3, "node3");
        assertEq(threshold, 2, "threshold");
        (agents, threshold) = catalogue.agentsOf(999);
        assertEq(agents.length, 0, "unknown: none");
        assertEq(threshold, 0, "unknown: 0");
    }

    function _expectCommitRevert(Analytics.DatasetInput memory d, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(alice);
        analytics.commitDataset(product, d);
    }
}
