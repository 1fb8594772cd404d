// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "../utils/Fixture.sol";
import {
    Country,
    Modality,
    OrganisationType,
    PricingUnit,
    ProductType,
    Purpose,
    Verdict
} from "../../src/MarketTypes.sol";

/// @dev Shared state and helpers of the Agreements tests, which are split by concern into the
/// other files of this folder (after Uniswap v4-core's test layout): Request, Approval, Renew,
/// PinnedTerms, Terminate, Delivery, Eligibility, Payments and Streams.
/// The products every test starts from, all sold by alice: `stream` (2 DATA per day, open
/// policy, no approval), `gated` (the same with approval) and `batch` (one-time, 10 DATA, open
/// policy); bob, hospital, university and insurer hold FUNDS of DATA.
/// State invariants the files exercise together (the invariant suite checks them under random
/// sequences):
/// - token.balanceOf(agreements) == totalEscrowed == Σ amount over Pending agreements;
/// - a request either reverts with the error of its eligibility verdict or creates exactly one
///   agreement pinning the then-current policy version;
/// - free/auto-approved requests are Active at once and pay the seller price × periods directly;
///   approval-gated ones escrow until approve (paid out) / reject / cancel (refunded, amount → 0);
/// - endsAt = start + periods × unitSeconds (0 for one-time); renew extends from max(now, endsAt);
/// - an agreement is active iff status Active and (endsAt == 0 or now < endsAt);
/// - a consumer has at most one pending or active agreement per product.
abstract contract AgreementsBase is Fixture {
    uint96 internal constant DAILY = 2e18;
    uint256 internal constant FUNDS = 1_000e18;

    uint256 internal stream; // alice's wearable stream, 2 DATA per day, open policy, no approval
    uint256 internal gated; // alice's stream needing approval, 2 DATA per day
    uint256 internal batch; // alice's one-time dataset, 10 DATA, open policy

    function setUp() public override {
        super.setUp();
        _registerPersonas();
        stream = _publishStream(alice, DAILY, PricingUnit.Day);
        _setOpenPolicy(stream, false);
        gated = _publishStream(alice, DAILY, PricingUnit.Day);
        _setOpenPolicy(gated, true);
        batch = _publishBatch(alice, 10e18);
        _setOpenPolicy(batch, false);
        _fund(bob, FUNDS);
        _fund(hospital, FUNDS);
        _fund(university, FUNDS);
        _fund(insurer, FUNDS);
    }

    // --- helpers ---

    /// @dev Asserts eligibility() == expected and that requestAccess reverts with `err`
    /// (or succeeds when expected is Eligible).
    function _expectVerdict(uint256 productId, address consumer, Purpose purpose, Verdict expected, bytes memory err)
        internal
    {
        assertEq(uint8(agreements.eligibility(productId, consumer, purpose)), uint8(expected), "verdict");
        (uint32 v40, PricingUnit u40) = _pins(productId);
        if (expected != Verdict.Eligible) vm.expectRevert(err);
        vm.prank(consumer);
        uint256 id = agreements.requestAccess(productId, purpose, v40, u40, 1, type(uint256).max);
        if (expected == Verdict.Eligible) assertTrue(id != 0, "created");
    }

    /// @dev Research only, hospitals and research universities in NL, DE or FR.
    function _orgsOnlyProduct() internal returns (uint256 p) {
        p = _publishStream(alice, DAILY, PricingUnit.Day);
        uint16 orgs = uint16(_bit(uint8(OrganisationType.Hospital)) | _bit(uint8(OrganisationType.ResearchUniversity)));
        uint64 where = uint64(_bit(uint8(Country.NL)) | _bit(uint8(Country.DE)) | _bit(uint8(Country.FR)));
        _setPolicy(p, uint16(_bit(uint8(Purpose.Research))), 2, orgs, where, false);
    }

    function _streamProduct(bool requiresApproval) internal returns (uint256 productId, string memory streamId) {
        streamId = "alice/wearables/heart-rate";
        if (!streamRegistry.exists(streamId)) {
            vm.prank(alice);
            streamRegistry.createStream(streamId);
        }
        string[] memory ids = new string[](1);
        ids[0] = streamId;
        vm.prank(alice);
        productId = catalogue.publish(
            ProductType.Stream, Modality.Encrypted, DAILY, PricingUnit.Day, new address[](0), 0, _description("HR"), ids
        );
        _seen[productId].unit = PricingUnit.Day;
        _setOpenPolicy(productId, requiresApproval);
    }
}
