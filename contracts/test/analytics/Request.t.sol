// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {AnalyticsBase} from "./AnalyticsBase.sol";
import {Analytics} from "../../src/Analytics.sol";
import {Category, Country, JobStatus, OrganisationType, PricingUnit, Purpose, Verdict} from "../../src/MarketTypes.sol";
import {
    IAgreementsErrors,
    IAnalyticsErrors,
    IEligibilityErrors,
    IMarketErrors,
    IProductErrors,
    IPurchaseErrors
} from "../../src/interfaces/IMarketErrors.sol";

/// @dev `requestQuery`, `requestQueryWithPermit`, `Agreements.checkEligible` and the refusal of
/// access requests for analytics products. Invariants:
/// - a request is checked like a purchase: for every failing verdict it reverts with the error of
///   `Agreements.requestAccess` (and `checkEligible`), paying nothing;
/// - it pins the policy version and the manifest the buyer saw, and a maximum price;
/// - a successful request creates one Open job (consumer, product, purpose, pinned versions,
///   ε charged, price, query hash, deadline = now + jobTimeout), moves exactly the price into
///   escrow and emits QueryRequested; a buyer may hold several open jobs;
/// - access to an analytics product cannot be bought through Agreements (`SoldPerQuery`).
contract AnalyticsRequestTest is AnalyticsBase {
    // --- happy path ---

    function test_request_escrowsAndRecordsTheJob() public {
        uint256 before = token.balanceOf(hospital);
        vm.expectEmit(address(analytics));
        emit Analytics.QueryRequested(
            1, product, hospital, QUERY, 1, Purpose.Research, PRICE, EPSILON, uint40(T0 + TIMEOUT)
        );
        uint256 id = _query(hospital);
        assertEq(id, 1, "first job id");
        assertEq(analytics.jobCount(), 1, "jobCount");

        Analytics.Job memory j = analytics.getJob(id);
        assertEq(j.consumer, hospital, "consumer");
        assertEq(j.productId, product, "productId");
        assertEq(j.createdAt, T0, "createdAt");
        assertEq(j.deadline, T0 + TIMEOUT, "deadline");
        assertEq(uint8(j.status), uint8(JobStatus.Open), "Open");
        assertEq(uint8(j.purpose), uint8(Purpose.Research), "purpose");
        assertEq(j.policyVersion, 1, "policyVersion");
        assertEq(j.datasetVersion, 1, "datasetVersion");
        assertEq(j.results, 0, "results");
        assertEq(j.refusals, 0, "refusals");
        assertEq(j.epsilonCharged, EPSILON, "epsilonCharged");
        assertEq(j.amount, PRICE, "amount");
        assertEq(j.queryHash, QUERY, "queryHash");

        assertEq(token.balanceOf(hospital), before - PRICE, "buyer paid the price");
        assertEq(token.balanceOf(alice), 0, "seller not paid yet");
        _assertEscrow(PRICE);
        assertEq(analytics.datasetOf(product).epsilonSpent, EPSILON, "epsilon charged");
    }

    function test_request_severalOpenJobsAtOnce() public {
        uint256 a = _queryAs(hospital, product, keccak256("q1"));
        uint256 b = _queryAs(hospital, product, keccak256("q2"));
        uint256 c = _queryAs(hospital, product, keccak256("q1")); // the same query again: a new job
        uint256 d = _query(bob);
        assertEq(a, 1, "a");
        assertEq(b, 2, "b");
        assertEq(c, 3, "c");
        assertEq(d, 4, "d");
        _assertEscrow(4 * PRICE);
        assertEq(analytics.epsilonLeft(product), 0, "four queries spend the budget");
    }

    function test_request_freeProduct_noTokensNeeded() public {
        uint256 p = _publishAnalytics(alice, 0, _nodes(), 2);
        _setOpenPolicy(p, false);
        _commit(p, _input());
        uint256 id = _query(pharma, p); // pharma holds no tokens and approved nothing
        assertEq(analytics.getJob(id).amount, 0, "free");
        _assertEscrow(0);
    }

    function test_request_priceAtMaxIsAccepted() public {
        bytes32 m = _manifestOf(product);
        vm.prank(hospital);
        uint256 id = analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
        assertEq(analytics.getJob(id).amount, PRICE, "paid the price");
    }

    function test_request_forAnAllowedPurpose() public {
        bytes32 m = _manifestOf(product);
        vm.prank(university);
        uint256 id = analytics.requestQuery(product, Purpose.Statistics, 1, m, QUERY, PRICE);
        assertEq(uint8(analytics.getJob(id).purpose), uint8(Purpose.Statistics), "purpose recorded");
    }

    // --- pinned terms ---

    function test_request_RevertIf_priceAboveMax() public {
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PriceAboveMax.selector, PRICE, PRICE - 1));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE - 1);
    }

    function test_request_RevertIf_sellerRaisedThePrice() public {
        bytes32 m = _manifestOf(product);
        vm.prank(alice);
        catalogue.setPrice(product, PRICE * 2, PricingUnit.OneTime);
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PriceAboveMax.selector, PRICE * 2, PRICE));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
    }

    function test_request_RevertIf_policyVersionChanged() public {
        bytes32 m = _manifestOf(product);
        _setOpenPolicy(product, false); // version 2
        vm.expectRevert(abi.encodeWithSelector(IPurchaseErrors.PolicyVersionChanged.selector, product, 1, 2));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 2, m, QUERY, PRICE);
    }

    function test_request_RevertIf_policyRequiresApproval() public {
        _setOpenPolicy(product, true);
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.QueryNeedsApproval.selector, product));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 2, m, QUERY, PRICE);
    }

    function test_request_RevertIf_manifestChanged() public {
        bytes32 seen = _manifestOf(product);
        Analytics.DatasetInput memory d = _input();
        d.manifestHash = keccak256("manifest v2");
        _commit(product, d); // the seller re-commits before the buyer's transaction lands
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.DatasetChanged.selector, seen, d.manifestHash));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, seen, QUERY, PRICE);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.DatasetChanged.selector, bytes32(0), d.manifestHash));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, bytes32(0), QUERY, PRICE);
        // against the new manifest, pinned to version 2
        vm.prank(hospital);
        uint256 id = analytics.requestQuery(product, Purpose.Research, 1, d.manifestHash, QUERY, PRICE);
        assertEq(analytics.getJob(id).datasetVersion, 2, "dataset version 2");
    }

    function test_request_RevertIf_noDataset() public {
        uint256 p = _publishAnalytics(alice, PRICE, _nodes(), 2);
        _setOpenPolicy(p, false);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.NoDataset.selector, p));
        vm.prank(hospital);
        analytics.requestQuery(p, Purpose.Research, 1, MANIFEST, QUERY, PRICE);
    }

    function test_request_RevertIf_notAnAnalyticsProduct() public {
        uint256 batch = _publishBatch(alice, 10e18);
        _setOpenPolicy(batch, false);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.NoDataset.selector, batch));
        vm.prank(hospital);
        analytics.requestQuery(batch, Purpose.Research, 1, MANIFEST, QUERY, PRICE);
    }

    function test_request_RevertIf_zeroQueryHash() public {
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.InvalidQueryHash.selector));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, m, bytes32(0), PRICE);
    }

    function test_request_RevertIf_agentsChangedSinceCommit() public {
        address[] memory nodes = _nodes();
        nodes[2] = address(0x5A04); // the seller swaps a node without re-committing
        vm.prank(alice);
        catalogue.setDeliveryAgents(product, nodes, 2);
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AgentsChanged.selector, product));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);

        // the threshold alone counts too
        vm.prank(alice);
        catalogue.setDeliveryAgents(product, _nodes(), 3);
        vm.expectRevert(abi.encodeWithSelector(IAnalyticsErrors.AgentsChanged.selector, product));
        vm.prank(hospital);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);

        // putting the committed list back, or re-committing, makes the dataset sellable again
        vm.prank(alice);
        catalogue.setDeliveryAgents(product, _nodes(), 2);
        _query(hospital);
        vm.prank(alice);
        catalogue.setDeliveryAgents(product, nodes, 2);
        _commit(product, _input());
        _query(hospital);
        assertEq(analytics.jobCount(), 2, "two jobs");
    }

    function test_request_RevertIf_noAllowance() public {
        _mint(pharma, FUNDS); // no approve
        bytes32 m = _manifestOf(product);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(analytics), 0, PRICE)
        );
        vm.prank(pharma);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
        _assertEscrow(0);
        assertEq(analytics.datasetOf(product).epsilonSpent, 0, "nothing charged");
    }

    function test_request_RevertIf_noBalance() public {
        vm.prank(pharma);
        token.approve(address(analytics), type(uint256).max);
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, pharma, 0, PRICE));
        vm.prank(pharma);
        analytics.requestQuery(product, Purpose.Research, 1, m, QUERY, PRICE);
    }

    // --- permit ---

    function test_requestWithPermit() public {
        _mint(pharma, FUNDS); // no approve
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(analytics), PRICE + 1e18, deadline);
        bytes32 m = _manifestOf(product);
        vm.prank(pharma);
        uint256 id = analytics.requestQueryWithPermit(product, Purpose.Research, 1, m, QUERY, PRICE + 1e18, deadline, v, r, s);
        assertEq(uint8(_status(id)), uint8(JobStatus.Open), "open");
        _assertEscrow(PRICE);
        assertEq(token.allowance(pharma, address(analytics)), 1e18, "unspent permit allowance");
        assertEq(token.nonces(pharma), 1, "permit consumed");
    }

    function test_requestWithPermit_frontRunPermitStillWorks() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(analytics), PRICE, deadline);
        vm.prank(stranger);
        token.permit(pharma, address(analytics), PRICE, deadline, v, r, s);
        bytes32 m = _manifestOf(product);
        vm.prank(pharma);
        uint256 id = analytics.requestQueryWithPermit(product, Purpose.Research, 1, m, QUERY, PRICE, deadline, v, r, s);
        assertEq(analytics.getJob(id).amount, PRICE, "paid through the allowance");
        assertEq(token.allowance(pharma, address(analytics)), 0, "allowance spent");
    }

    function test_requestWithPermit_RevertIf_badPermitAndNoAllowance() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(INSURER_PK, address(analytics), PRICE, deadline);
        bytes32 m = _manifestOf(product);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(analytics), 0, PRICE)
        );
        vm.prank(pharma);
        analytics.requestQueryWithPermit(product, Purpose.Research, 1, m, QUERY, PRICE, deadline, v, r, s);
    }

    function test_requestWithPermit_RevertIf_ineligible() public {
        _mint(stranger, FUNDS);
        bytes32 m = _manifestOf(product);
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.NotRegistered.selector, stranger));
        vm.prank(stranger);
        analytics.requestQueryWithPermit(product, Purpose.Research, 1, m, QUERY, PRICE, 0, 0, bytes32(0), bytes32(0));
    }

    // --- eligibility: the errors of a purchase ---

    function test_request_RevertIf_productNotFound() public {
        _expectEligibility(999, hospital, Purpose.Research, Verdict.ProductNotFound, abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 999));
    }

    function test_request_RevertIf_productInactive() public {
        vm.prank(alice);
        catalogue.deactivate(product);
        _expectEligibility(product, hospital, Purpose.Research, Verdict.ProductInactive, abi.encodeWithSelector(IEligibilityErrors.ProductInactive.selector, product));
    }

    function test_request_RevertIf_ownProduct() public {
        _fundAnalytics(alice, FUNDS);
        _expectEligibility(product, alice, Purpose.Research, Verdict.OwnProduct, abi.encodeWithSelector(IEligibilityErrors.OwnProduct.selector, product));
    }

    function test_request_RevertIf_noPolicy() public {
        uint256 p = _publishAnalytics(alice, PRICE, _nodes(), 2);
        _commit(p, _input());
        _expectEligibility(p, hospital, Purpose.Research, Verdict.NoPolicy, abi.encodeWithSelector(IEligibilityErrors.NoPolicy.selector, p));
    }

    function test_request_RevertIf_notRegistered() public {
        _fundAnalytics(stranger, FUNDS);
        _expectEligibility(product, stranger, Purpose.Research, Verdict.NotRegistered, abi.encodeWithSelector(IMarketErrors.NotRegistered.selector, stranger));
    }

    function test_request_RevertIf_credentialRevoked() public {
        vm.prank(issuer);
        credentials.revoke(hospital);
        _expectEligibility(product, hospital, Purpose.Research, Verdict.CredentialRevoked, abi.encodeWithSelector(IEligibilityErrors.CredentialRevoked.selector, hospital));
    }

    function test_request_RevertIf_credentialExpired() public {
        _warpBy(CREDENTIAL_LIFETIME);
        _expectEligibility(product, hospital, Purpose.Research, Verdict.CredentialExpired, abi.encodeWithSelector(IEligibilityErrors.CredentialExpired.selector, hospital));
    }

    function test_request_RevertIf_issuerNotTrusted() public {
        vm.prank(admin);
        credentials.untrustIssuer(issuer);
        _expectEligibility(product, hospital, Purpose.Research, Verdict.IssuerNotTrusted, abi.encodeWithSelector(IEligibilityErrors.IssuerNotTrusted.selector, hospital));
    }

    function test_request_RevertIf_categoryOrOrganisationOrCountryNotAllowed() public {
        // Research only, hospitals and research universities in NL or DE
        uint16 orgs = uint16(_bit(uint8(OrganisationType.Hospital)) | _bit(uint8(OrganisationType.ResearchUniversity)));
        uint64 where = uint64(_bit(uint8(Country.NL)) | _bit(uint8(Country.DE)));
        _setPolicy(product, uint16(_bit(uint8(Purpose.Research))), 2, orgs, where, false);
        _expectEligibility(product, bob, Purpose.Research, Verdict.CategoryNotAllowed, abi.encodeWithSelector(IEligibilityErrors.CategoryNotAllowed.selector, product, Category.Individual));
        _expectEligibility(product, insurer, Purpose.Research, Verdict.OrganisationTypeNotAllowed, abi.encodeWithSelector(IEligibilityErrors.OrganisationTypeNotAllowed.selector, product, OrganisationType.Insurer));
        _expectEligibility(product, university, Purpose.Research, Verdict.JurisdictionNotAllowed, abi.encodeWithSelector(IEligibilityErrors.JurisdictionNotAllowed.selector, product, Country.FR));
        _expectEligibility(product, hospital, Purpose.Marketing, Verdict.PurposeNotAllowed, abi.encodeWithSelector(IEligibilityErrors.PurposeNotAllowed.selector, product, Purpose.Marketing));
        _expectEligibility(product, hospital, Purpose.Research, Verdict.Eligible, "");
    }

    function test_request_RevertIf_consentRetracted() public {
        vm.prank(alice);
        policies.retractConsent(product, hospital);
        _expectEligibility(product, hospital, Purpose.Research, Verdict.ConsentRetracted, abi.encodeWithSelector(IEligibilityErrors.ConsentRetracted.selector, product, hospital));
        vm.prank(alice);
        policies.restoreConsent(product, hospital);
        _expectEligibility(product, hospital, Purpose.Research, Verdict.Eligible, "");
    }

    // --- Agreements: access to an analytics product is not sold ---

    function test_requestAccess_RevertIf_analyticsProduct() public {
        _fund(hospital, FUNDS);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.SoldPerQuery.selector, product));
        vm.prank(hospital);
        agreements.requestAccess(product, Purpose.Research, 1, PricingUnit.OneTime, 1, type(uint256).max);
    }

    function test_requestAccessWithPermit_RevertIf_analyticsProduct() public {
        _mint(pharma, FUNDS);
        uint256 deadline = _now() + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permit(PHARMA_PK, address(agreements), PRICE, deadline);
        vm.expectRevert(abi.encodeWithSelector(IAgreementsErrors.SoldPerQuery.selector, product));
        vm.prank(pharma);
        agreements.requestAccessWithPermit(product, Purpose.Research, 1, PricingUnit.OneTime, 1, PRICE, deadline, v, r, s);
    }

    function test_requestAccess_analyticsProduct_eligibilityFirst() public {
        // an ineligible buyer is told why they may not buy, as for any product
        vm.expectRevert(abi.encodeWithSelector(IMarketErrors.NotRegistered.selector, stranger));
        vm.prank(stranger);
        agreements.requestAccess(product, Purpose.Research, 1, PricingUnit.OneTime, 1, type(uint256).max);
    }

    // --- helpers ---

    /// @dev eligibility() returns `expected`; checkEligible and requestQuery revert with `err`
    /// (nothing paid, nothing charged) or, when Eligible, the request creates a job.
    function _expectEligibility(uint256 productId, address consumer, Purpose purpose, Verdict expected, bytes memory err)
        internal
    {
        assertEq(uint8(agreements.eligibility(productId, consumer, purpose)), uint8(expected), "verdict");
        uint32 version = policies.policyOf(productId).version;
        bytes32 m = _manifestOf(productId);
        uint256 jobs = analytics.jobCount();
        uint256 escrow = analytics.totalEscrowed();
        if (expected == Verdict.Eligible) {
            agreements.checkEligible(productId, consumer, purpose);
            vm.prank(consumer);
            uint256 id = analytics.requestQuery(productId, purpose, version, m, QUERY, type(uint256).max);
            assertEq(id, jobs + 1, "created");
            return;
        }
        vm.expectRevert(err);
        agreements.checkEligible(productId, consumer, purpose);
        vm.expectRevert(err);
        vm.prank(consumer);
        analytics.requestQuery(productId, purpose, version, m, QUERY, type(uint256).max);
        assertEq(analytics.jobCount(), jobs, "no job");
        assertEq(analytics.totalEscrowed(), escrow, "nothing escrowed");
    }
}
