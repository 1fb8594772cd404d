// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "../utils/Fixture.sol";
import {AnalyticsHandler} from "./handlers/AnalyticsHandler.sol";
import {Analytics} from "../../src/Analytics.sol";
import {JobStatus, Modality, PricingUnit, ProductType} from "../../src/MarketTypes.sol";

/// @dev Invariants of Analytics under random sequences of AnalyticsHandler actions (mint,
/// request with current or stale pins, results and refusals by agents and non-agents, refunds
/// by anyone, re-commits with other budgets, noise and manifests, agent swaps, credential
/// revocations, warps):
/// 1. Escrow is exact: balanceOf(Analytics) == totalEscrowed == Σ amount of Open jobs (read from
///    storage) == the handler's ghost; DataToken supply is conserved across all holders.
/// 2. Privacy budget: for every dataset with noise on, epsilonSpent ≤ epsilonBudget; and
///    epsilonSpent == Σ epsilonCharged over the product's jobs that were not refunded after a
///    timeout (charged at request, returned only by `refund`).
/// 3. Status transitions are one-way (None → Open → Completed | Refused | Refunded) and each job
///    paid its seller or refunded its buyer at most once, never both: Completed ⇔ paid once,
///    Refused or Refunded ⇔ refunded once, Open ⇔ neither (no violation observed by the handler).
/// 4. Job shape: results ≤ threshold and refusals ≤ agents − threshold + 1; Completed has exactly
///    a threshold of results, Refused exactly agents − threshold + 1 refusals; the number of
///    nodes that answered equals results + refusals.
contract AnalyticsInvariants is Fixture {
    AnalyticsHandler internal handler;
    Analytics internal analytics;
    address[] internal holders;
    uint256[] internal products;
    address[] internal nodeList;

    function setUp() public override {
        super.setUp();
        _registerPersonas();
        analytics = new Analytics(token, catalogue, policies, agreements);
        handler = new AnalyticsHandler(token, credentials, catalogue, policies, analytics, admin, issuer);
        vm.label(address(analytics), "Analytics");
        vm.label(address(handler), "AnalyticsHandler");

        nodeList = [address(0x5A01), address(0x5A02), address(0x5A03), address(0x5A04), address(0x5A05)];
        for (uint256 i; i < nodeList.length; ++i) {
            handler.addNode(nodeList[i]);
        }
        address[] memory three = new address[](3);
        (three[0], three[1], three[2]) = (nodeList[0], nodeList[1], nodeList[2]);
        address[] memory one = new address[](1);
        one[0] = nodeList[0];

        // alice: 2 of 3 nodes, 5 DATA, ε 0.1 of 1; bob: 3 of 3, 1 DATA, no noise; alice: 1 of 1, free
        products.push(_analyticsProduct(alice, 5e18, three, 2, 100, 1_000));
        products.push(_analyticsProduct(bob, 1e18, three, 3, 0, 0));
        products.push(_analyticsProduct(alice, 0, one, 1, 300, 1_000));
        for (uint256 i; i < products.length; ++i) {
            handler.addProduct(products[i]);
        }

        handler.addConsumer(hospital);
        handler.addConsumer(university);
        handler.addConsumer(insurer);
        handler.addConsumer(pharma);
        handler.addConsumer(bob);
        handler.addConsumer(stranger); // never registered: every request of it reverts
        holders = [alice, bob, hospital, university, insurer, pharma, stranger, address(analytics)];
        for (uint256 i; i < handler.consumerCount(); ++i) {
            handler.mint(i, 200e18);
        }

        // seed: open jobs on every product, one completed, one refused
        handler.request(0, 0, 1, 0);
        handler.request(1, 1, 2, 0);
        handler.request(2, 2, 3, 0);
        handler.request(3, 0, 4, 0);
        handler.result(3, 0, 1);
        handler.result(3, 1, 2); // job 4 (2 of 3) completes
        handler.refuse(0, 0, 0);
        handler.refuse(0, 1, 1); // job 1 (2 of 3): two refusals → refused
        assertEq(analytics.jobCount(), 4, "seeded jobs");
        assertEq(uint8(analytics.getJob(4).status), uint8(JobStatus.Completed), "seeded completion");
        assertEq(uint8(analytics.getJob(1).status), uint8(JobStatus.Refused), "seeded refusal");
        assertEq(handler.ghostViolations(), 0, "seed without violation");

        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = AnalyticsHandler.request.selector;
        selectors[1] = AnalyticsHandler.request.selector; // requests and answers more likely
        selectors[2] = AnalyticsHandler.request.selector;
        selectors[3] = AnalyticsHandler.result.selector;
        selectors[4] = AnalyticsHandler.result.selector;
        selectors[5] = AnalyticsHandler.result.selector;
        selectors[6] = AnalyticsHandler.refuse.selector;
        selectors[7] = AnalyticsHandler.refund.selector;
        selectors[8] = AnalyticsHandler.refund.selector;
        selectors[9] = AnalyticsHandler.warp.selector;
        selectors[10] = AnalyticsHandler.recommit.selector;
        selectors[11] = AnalyticsHandler.swapAgent.selector;
        selectors[12] = AnalyticsHandler.revoke.selector;
        selectors[13] = AnalyticsHandler.mint.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev 1. Escrow accounting and supply conservation.
    function invariant_escrowEqualsOpenJobs() public view {
        uint256 open;
        uint256 count = analytics.jobCount();
        for (uint256 id = 1; id <= count; ++id) {
            Analytics.Job memory j = analytics.getJob(id);
            if (j.status == JobStatus.Open) open += j.amount;
        }
        uint256 escrowed = analytics.totalEscrowed();
        assertEq(token.balanceOf(address(analytics)), escrowed, "balance == totalEscrowed");
        assertEq(escrowed, open, "totalEscrowed == sum of Open amounts");
        assertEq(escrowed, handler.ghostEscrow(), "totalEscrowed == ghost");
        uint256 sum;
        for (uint256 i; i < holders.length; ++i) {
            sum += token.balanceOf(holders[i]);
        }
        assertEq(sum, token.totalSupply(), "sum of balances == totalSupply");
        assertEq(token.totalSupply(), handler.ghostMinted(), "totalSupply == minted");
    }

    /// @dev 2. ε spent within the budget, and exactly what the unrefunded jobs were charged.
    function invariant_privacyBudget() public view {
        uint256 count = analytics.jobCount();
        for (uint256 p; p < products.length; ++p) {
            Analytics.Dataset memory d = analytics.datasetOf(products[p]);
            if (d.epsilonPerQuery > 0) assertTrue(d.epsilonSpent <= d.epsilonBudget, "spent <= budget");
            uint256 charged;
            for (uint256 id = 1; id <= count; ++id) {
                Analytics.Job memory j = analytics.getJob(id);
                if (j.productId == products[p] && j.status != JobStatus.Refunded) charged += j.epsilonCharged;
            }
            assertEq(d.epsilonSpent, charged, "spent == charged to unrefunded jobs");
        }
    }

    /// @dev 3. One-way statuses; paid or refunded at most once, never both.
    function invariant_statusOneWay_paidOrRefundedOnce() public view {
        assertEq(handler.ghostViolations(), 0, handler.lastViolation());
        uint256 count = analytics.jobCount();
        for (uint256 id = 1; id <= count; ++id) {
            JobStatus s = analytics.getJob(id).status;
            uint256 paid = handler.ghostPaid(id);
            uint256 refunded = handler.ghostRefunded(id);
            assertTrue(paid + refunded <= 1, "paid or refunded at most once, never both");
            assertEq(paid == 1, s == JobStatus.Completed, "paid iff Completed");
            assertEq(refunded == 1, s == JobStatus.Refused || s == JobStatus.Refunded, "refunded iff Refused/Refunded");
            assertTrue(s != JobStatus.None, "every id up to jobCount exists");
        }
    }

    /// @dev 4. Results and refusals within the product's threshold and agent count.
    function invariant_jobShape() public view {
        uint256 count = analytics.jobCount();
        for (uint256 id = 1; id <= count; ++id) {
            Analytics.Job memory j = analytics.getJob(id);
            // agent swaps keep the count and the threshold
            (address[] memory agents, uint8 threshold) = catalogue.agentsOf(j.productId);
            uint256 spare = agents.length - threshold;
            assertTrue(j.results <= threshold, "results <= threshold");
            assertTrue(j.refusals <= spare + 1, "refusals <= spare + 1");
            if (j.status == JobStatus.Completed) assertEq(j.results, threshold, "completed at the threshold");
            if (j.status == JobStatus.Refused) assertEq(j.refusals, spare + 1, "refused beyond the spare");
            uint256 answered;
            for (uint256 n; n < nodeList.length; ++n) {
                if (analytics.answered(id, nodeList[n])) answered++;
            }
            assertEq(answered, uint256(j.results) + j.refusals, "answers == results + refusals");
        }
    }

    function _analyticsProduct(
        address seller,
        uint96 price,
        address[] memory agents,
        uint8 threshold,
        uint32 perQuery,
        uint32 budget
    ) internal returns (uint256 productId) {
        vm.prank(seller);
        productId = catalogue.publish(
            ProductType.Analytics, Modality.Smpc, price, PricingUnit.OneTime, agents, threshold, _description("Stats"), _noStreams()
        );
        _setOpenPolicy(productId, false);
        bytes32[] memory bundles = new bytes32[](agents.length);
        for (uint256 i; i < agents.length; ++i) {
            bundles[i] = keccak256(abi.encode("bundle", productId, i));
        }
        vm.prank(seller);
        analytics.commitDataset(
            productId,
            Analytics.DatasetInput({
                manifestHash: keccak256(abi.encode("manifest", productId)),
                manifestURI: "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
                bundleHashes: bundles,
                rows: 1_000,
                minCohort: 5,
                epsilonPerQuery: perQuery,
                epsilonBudget: budget,
                jobTimeout: 1 hours
            })
        );
    }
}
