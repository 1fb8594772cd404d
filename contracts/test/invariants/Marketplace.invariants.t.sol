// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "../utils/Fixture.sol";
import {MarketHandler} from "./handlers/MarketHandler.sol";
import {Agreements} from "../../src/Agreements.sol";
import {Policies} from "../../src/Policies.sol";
import {
    AgreementStatus, Category, Country, OrganisationType, Periods, PricingUnit, ProductType, Purpose
} from "../../src/MarketTypes.sol";

/// @dev Invariants of the whole marketplace under random sequences of MarketHandler actions
/// (register, revoke, mint, transfer, request, approve, reject, cancel, renew, setPolicy,
/// retract/restore, setPrice, (de)activate, warp):
/// 1. DataToken supply is conserved: totalSupply == Σ minted, and Σ balances of all actors
///    (sellers, consumers, Agreements) == totalSupply — no token is created, lost or stuck elsewhere.
/// 2. Escrow is exact: balanceOf(Agreements) == totalEscrowed == Σ amount of Pending agreements
///    (read from storage) == the handler's ghost sum.
/// 3. Consent is respected: every Active agreement's consumer — with the credential facts and
///    purpose recorded when it was created or last renewed — is allowed by the pinned policy
///    version policyAt(productId, policyVersion).
/// 4. Agreement shape: Pending has no start/end; Rejected/Cancelled hold no amount; Active has
///    started and ends (endsAt != 0) iff its pricing unit is time-based.
/// 5. Paid time: an agreement never grants more time than the periods its buyer paid for —
///    endsAt equals the handler's own model (activation or the later of now and the previous
///    end, plus periods × unit per paid call), its amount is what was paid, and no single call
///    bought more than MAX_TERM (each paid call here buys ≤ 30 periods, beyond the cap for
///    weeks and months once setPrice switches the unit).
contract MarketplaceInvariants is Fixture {
    MarketHandler internal handler;
    address[] internal holders; // every address that can hold DataToken

    function setUp() public override {
        super.setUp();
        _registerPersonas();

        handler = new MarketHandler(token, credentials, catalogue, policies, agreements, admin, ISSUER_PK);
        handler.addSeller(alice);
        handler.addSeller(bob);
        handler.addConsumer(bob);
        handler.addConsumer(hospital);
        handler.addConsumer(university);
        handler.addConsumer(insurer);
        handler.addConsumer(pharma);
        handler.addConsumer(stranger); // unregistered until the handler registers it
        holders = [alice, bob, hospital, university, insurer, pharma, stranger, address(agreements)];

        // alice: a daily stream (auto), an hourly stream (approval), a batch file (approval)
        uint256 p1 = _publishStream(alice, 1e18, PricingUnit.Day);
        _setOpenPolicy(p1, false);
        uint256 p2 = _publishStream(alice, 1e17, PricingUnit.Hour);
        _setOpenPolicy(p2, true);
        uint256 p3 = _publishBatch(alice, 5e18);
        _setOpenPolicy(p3, true);
        // bob: a weekly stream for hospitals/universities doing research in DE/FR/NL, and a
        // free batch file open to all (data unions: DataUnion.invariants.t.sol; analytics
        // products are sold per query: Analytics.invariants.t.sol)
        uint256 p4 = _publish(bob, ProductType.Stream, 3e18, PricingUnit.Week);
        _setPolicy(
            p4,
            uint16(_bit(uint8(Purpose.Research)) | _bit(uint8(Purpose.ClinicalTrials))),
            2,
            uint16(_bit(uint8(OrganisationType.Hospital)) | _bit(uint8(OrganisationType.ResearchUniversity))),
            uint64(_bit(uint8(Country.DE)) | _bit(uint8(Country.FR)) | _bit(uint8(Country.NL))),
            false
        );
        uint256 p5 = _publish(bob, ProductType.Batch, 0, PricingUnit.OneTime);
        _setOpenPolicy(p5, false);
        handler.addProduct(p1);
        handler.addProduct(p2);
        handler.addProduct(p3);
        handler.addProduct(p4);
        handler.addProduct(p5);

        for (uint256 i; i < handler.consumerCount(); ++i) {
            handler.mint(i, 200e18);
        }
        // seed a few agreements so lifecycle actions have targets from the first call:
        // hospital on p1 and p4 (active), pharma on p5 (active), university/bob on p2 and
        // insurer on p3 (pending); (consumer index, product index, purpose = Research, periods seed,
        // pins = current)
        handler.request(1, 0, 0, 3, 0);
        handler.request(1, 3, 0, 2, 0);
        handler.request(4, 4, 0, 1, 0);
        handler.request(2, 1, 0, 5, 0);
        handler.request(0, 1, 0, 7, 0);
        handler.request(3, 2, 0, 1, 0);
        assertEq(agreements.agreementCount(), 6, "seeded agreements");
        // periods = bound(seed, 1, 30) = 1 + seed: 6 and 8 hours on p2, the batch file on p3
        assertEq(agreements.totalEscrowed(), 6e17 + 8e17 + 5e18, "seeded escrow");

        bytes4[] memory selectors = new bytes4[](19);
        selectors[0] = MarketHandler.register.selector;
        selectors[1] = MarketHandler.revoke.selector;
        selectors[2] = MarketHandler.mint.selector;
        selectors[3] = MarketHandler.transfer.selector;
        selectors[4] = MarketHandler.request.selector;
        selectors[5] = MarketHandler.request.selector; // requests twice as likely
        selectors[6] = MarketHandler.approve.selector;
        selectors[7] = MarketHandler.reject.selector;
        selectors[8] = MarketHandler.cancel.selector;
        selectors[9] = MarketHandler.renew.selector;
        selectors[10] = MarketHandler.setPolicy.selector;
        selectors[11] = MarketHandler.retract.selector;
        selectors[12] = MarketHandler.setPrice.selector;
        selectors[13] = MarketHandler.toggleActive.selector;
        selectors[14] = MarketHandler.warp.selector;
        selectors[15] = MarketHandler.approve.selector;
        selectors[16] = MarketHandler.renew.selector;
        selectors[17] = MarketHandler.request.selector;
        selectors[18] = MarketHandler.terminate.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev 1. Supply conservation.
    function invariant_tokenSupplyConserved() public view {
        assertEq(token.totalSupply(), handler.ghostMinted(), "totalSupply == minted");
        uint256 sum;
        for (uint256 i; i < holders.length; ++i) {
            sum += token.balanceOf(holders[i]);
        }
        assertEq(sum, token.totalSupply(), "sum of balances == totalSupply");
    }

    /// @dev 2. Escrow accounting.
    function invariant_escrowEqualsPending() public view {
        uint256 pending;
        uint256 count = agreements.agreementCount();
        for (uint256 id = 1; id <= count; ++id) {
            Agreements.Agreement memory a = agreements.getAgreement(id);
            if (a.status == AgreementStatus.Pending) pending += a.amount;
        }
        uint256 escrowed = agreements.totalEscrowed();
        assertEq(token.balanceOf(address(agreements)), escrowed, "balance == totalEscrowed");
        assertEq(escrowed, pending, "totalEscrowed == sum of Pending amounts");
        assertEq(escrowed, handler.ghostEscrow(), "totalEscrowed == ghost");
    }

    /// @dev 3. Active agreements are allowed by their pinned policy version.
    function invariant_activeAgreementsRespectPinnedPolicy() public view {
        uint256 count = agreements.agreementCount();
        for (uint256 id = 1; id <= count; ++id) {
            Agreements.Agreement memory a = agreements.getAgreement(id);
            if (a.status != AgreementStatus.Active) continue;
            MarketHandler.Facts memory f = handler.factsOf(id);
            assertTrue(f.recorded, "agreement created through the handler");
            assertTrue(f.purpose == a.purpose, "purpose recorded");
            Policies.Policy memory p = policies.policyAt(a.productId, a.policyVersion);
            assertEq(p.version, a.policyVersion, "pinned version exists");
            assertTrue(p.consumerCategories & _bit(uint8(f.category)) != 0, "category allowed");
            if (f.category == Category.Organisation) {
                assertTrue(p.organisationTypes & _bit(uint8(f.organisationType)) != 0, "organisation type allowed");
            }
            assertTrue(p.jurisdictions & _bit(uint8(f.country)) != 0, "jurisdiction allowed");
            assertTrue(p.purposes & _bit(uint8(a.purpose)) != 0, "purpose allowed");
            assertTrue(a.consumer != catalogue.sellerOf(a.productId), "not own product");
        }
    }

    /// @dev 5. Time granted == time paid for, in the unit the consumer pinned: an agreement never
    /// grants more time, or another unit, than its consumer signed for (a seller changing the
    /// unit or the policy before the request lands makes it revert instead).
    function invariant_grantedTimeWithinPaidPeriods() public view {
        uint256 count = agreements.agreementCount();
        for (uint256 id = 1; id <= count; ++id) {
            Agreements.Agreement memory a = agreements.getAgreement(id);
            if (a.status != AgreementStatus.Active && a.status != AgreementStatus.Terminated) continue;
            assertEq(a.endsAt, handler.ghostEndsAt(id), "endsAt == paid periods");
            assertEq(a.amount, handler.ghostPaid(id), "amount == paid less refunds");
            assertTrue(a.pricingUnit == handler.ghostUnit(id), "unit == the unit the consumer pinned");
            if (a.endsAt != 0) {
                assertTrue(
                    uint256(a.periods) * Periods.unitSeconds(a.pricingUnit) <= agreements.MAX_TERM(),
                    "last call within MAX_TERM"
                );
            }
        }
    }

    /// @dev 4. Agreement shape per status.
    function invariant_agreementShape() public view {
        uint256 count = agreements.agreementCount();
        for (uint256 id = 1; id <= count; ++id) {
            Agreements.Agreement memory a = agreements.getAgreement(id);
            if (a.status == AgreementStatus.Pending) {
                assertTrue(a.startsAt == 0 && a.endsAt == 0, "pending has not started");
            } else if (a.status == AgreementStatus.Rejected || a.status == AgreementStatus.Cancelled) {
                assertEq(a.amount, 0, "closed request refunded");
                assertTrue(a.startsAt == 0, "closed request never started");
            } else {
                assertTrue(
                    a.status == AgreementStatus.Active || a.status == AgreementStatus.Terminated,
                    "no None status for existing ids"
                );
                assertTrue(a.startsAt != 0, "active has started");
                assertEq(a.endsAt == 0, a.pricingUnit == PricingUnit.OneTime, "ends iff time-based");
                assertTrue(a.endsAt == 0 || a.endsAt > a.startsAt, "ends after start");
            }
        }
    }
}
