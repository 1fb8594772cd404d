// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {Catalogue} from "../src/Catalogue.sol";
import {Modality, PricingUnit, ProductType} from "../src/MarketTypes.sol";
import {ICatalogueErrors, IProductErrors} from "../src/interfaces/IMarketErrors.sol";

/// @dev `Catalogue.reportAnonymisation`: the seller of an anonymised batch product binds the
/// SHA-256, k and ℓ of its anonymisation report to it (issue 16). State invariants:
/// - only `Batch` + `Anonymised` products ever have a report, set by their seller only;
/// - a stored report has a non-zero hash, 1 ≤ l ≤ k and `reportedAt` = the block of the last
///   report; `anonymisationOf` is all zero for a product never reported (or unknown);
/// - a refused call changes nothing (the previous report and `updatedAt` stay).
contract CatalogueAnonymisationTest is Fixture {
    // sha256("report v1"), sha256("report v2") as literals: `sha256(…)` in a constant is a call to
    // the precompile at every use, which would take the place of the call a cheatcode expects.
    bytes32 internal constant HASH_V1 = 0xa5e10341fc2fa1cd28fc7036e7d23d46e04d66948c80d243ad425baf05cc7fe0;
    bytes32 internal constant HASH_V2 = 0x379e2f8fb9d7ca8d595fd2cdb48d620cb1abba4910128f4ffa43896b7d4b9882;
    string internal constant URI_V1 = "ipfs://bafkreireportv1";
    string internal constant URI_V2 = "https://data.example.org/reports/v2.json";

    // --- happy path ---

    function test_report_storesAndEmits() public {
        uint256 id = _publishAnonymisedBatch(alice);
        _warpBy(1 hours);
        vm.expectEmit(address(catalogue));
        emit Catalogue.AnonymisationReported(id, HASH_V1, 10, 3, URI_V1);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);

        Catalogue.Anonymisation memory a = catalogue.anonymisationOf(id);
        assertEq(a.reportHash, HASH_V1, "hash");
        assertEq(a.k, 10, "k");
        assertEq(a.l, 3, "l");
        assertEq(a.reportedAt, T0 + 1 hours, "reportedAt");
        Catalogue.Product memory p = catalogue.getProduct(id);
        assertEq(p.updatedAt, T0 + 1 hours, "updatedAt moves");
        assertEq(p.createdAt, T0, "createdAt unchanged");
    }

    function test_report_emitsOnlyItsEvent() public {
        uint256 id = _publishAnonymisedBatch(alice);
        vm.recordLogs();
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 5, 2, URI_V1);
        assertEq(vm.getRecordedLogs().length, 1, "one event");
    }

    function test_report_replacesThePreviousReport() public {
        uint256 id = _publishAnonymisedBatch(alice);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        _warpBy(1 days);
        // A new version of the file: the new report replaces the old one and is emitted again.
        vm.expectEmit(address(catalogue));
        emit Catalogue.AnonymisationReported(id, HASH_V2, 5, 2, URI_V2);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V2, 5, 2, URI_V2);
        Catalogue.Anonymisation memory a = catalogue.anonymisationOf(id);
        assertEq(a.reportHash, HASH_V2, "hash replaced");
        assertEq(a.k, 5, "k replaced (may go down: the claim is the seller's)");
        assertEq(a.l, 2, "l replaced");
        assertEq(a.reportedAt, T0 + 1 days, "reportedAt moves");
        assertEq(catalogue.getProduct(id).updatedAt, T0 + 1 days, "updatedAt moves");
    }

    function test_report_sameReportAgain() public {
        // Re-reporting identical values is allowed (e.g. the same report at a new URI) and emits.
        uint256 id = _publishAnonymisedBatch(alice);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        vm.expectEmit(address(catalogue));
        emit Catalogue.AnonymisationReported(id, HASH_V1, 10, 3, URI_V2);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V2);
    }

    function test_report_boundaries() public {
        uint256 id = _publishAnonymisedBatch(alice);
        vm.startPrank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 1, 1, URI_V1); // k = 1: stated, if weak
        assertEq(catalogue.anonymisationOf(id).k, 1, "k = 1");
        catalogue.reportAnonymisation(id, HASH_V1, 7, 7, URI_V1); // l == k
        assertEq(catalogue.anonymisationOf(id).l, 7, "l == k");
        catalogue.reportAnonymisation(id, HASH_V1, type(uint32).max, type(uint32).max, URI_V1);
        assertEq(catalogue.anonymisationOf(id).k, type(uint32).max, "k max");
        assertEq(catalogue.anonymisationOf(id).l, type(uint32).max, "l max");
        vm.stopPrank();
    }

    function test_report_eachProductItsOwn() public {
        uint256 a = _publishAnonymisedBatch(alice);
        uint256 b = _publishAnonymisedBatch(bob);
        vm.prank(bob);
        catalogue.reportAnonymisation(b, HASH_V2, 20, 4, URI_V2);
        assertEq(catalogue.anonymisationOf(a).reportedAt, 0, "a untouched");
        assertEq(catalogue.anonymisationOf(b).k, 20, "b reported");
    }

    function test_report_inactiveProduct() public {
        // A deactivated product keeps its buyers, who may still need the report of what they bought.
        uint256 id = _publishAnonymisedBatch(alice);
        vm.prank(alice);
        catalogue.deactivate(id);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        assertEq(catalogue.anonymisationOf(id).reportHash, HASH_V1, "stored");
    }

    function test_anonymisationOf_neverReported() public {
        uint256 id = _publishAnonymisedBatch(alice);
        _assertNoReport(id);
        _assertNoReport(999); // unknown product: zero, no revert
    }

    // --- who may report ---

    function test_report_RevertIf_notSeller() public {
        uint256 id = _publishAnonymisedBatch(alice);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, bob));
        vm.prank(bob);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        // a delivery agent of the product is not its seller either
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, relay1));
        vm.prank(relay1);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        _assertNoReport(id);
    }

    function test_report_RevertIf_notSeller_evenWithBadValues() public {
        // The caller is checked first: a stranger learns nothing else about the product.
        uint256 id = _publishAnonymised(alice, ProductType.Stream, Modality.Encrypted, PricingUnit.Day);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, bob));
        vm.prank(bob);
        catalogue.reportAnonymisation(id, bytes32(0), 0, 0, "");
    }

    function test_report_RevertIf_unknownProduct() public {
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 7));
        vm.prank(alice);
        catalogue.reportAnonymisation(7, HASH_V1, 10, 3, URI_V1);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.ProductNotFound.selector, 0));
        vm.prank(alice);
        catalogue.reportAnonymisation(0, HASH_V1, 10, 3, URI_V1);
    }

    // --- which products ---

    function test_report_RevertIf_encryptedBatch() public {
        uint256 id = _publishAnonymised(alice, ProductType.Batch, Modality.Encrypted, PricingUnit.OneTime);
        _expectNotAnonymisedBatch(id);
    }

    function test_report_RevertIf_smpcBatch() public {
        uint256 id = _publishAnonymised(alice, ProductType.Batch, Modality.Smpc, PricingUnit.OneTime);
        _expectNotAnonymisedBatch(id);
    }

    function test_report_RevertIf_streamProduct() public {
        // even one declared anonymised: a stream has no file the report could describe
        uint256 id = _publishAnonymised(alice, ProductType.Stream, Modality.Anonymised, PricingUnit.Day);
        _expectNotAnonymisedBatch(id);
        uint256 encrypted = _publishAnonymised(alice, ProductType.Stream, Modality.Encrypted, PricingUnit.Day);
        _expectNotAnonymisedBatch(encrypted);
    }

    function test_report_RevertIf_analyticsProduct() public {
        uint256 smpc = _publishAnonymised(alice, ProductType.Analytics, Modality.Smpc, PricingUnit.OneTime);
        _expectNotAnonymisedBatch(smpc);
        uint256 anonymised = _publishAnonymised(alice, ProductType.Analytics, Modality.Anonymised, PricingUnit.OneTime);
        _expectNotAnonymisedBatch(anonymised);
    }

    // --- what is reported ---

    function test_report_RevertIf_kZero() public {
        _expectInvalid(HASH_V1, 0, 0);
        _expectInvalid(HASH_V1, 0, 1); // l > k too, but k = 0 alone is refused
    }

    function test_report_RevertIf_lZero() public {
        _expectInvalid(HASH_V1, 10, 0);
    }

    function test_report_RevertIf_lAboveK() public {
        _expectInvalid(HASH_V1, 3, 4);
        _expectInvalid(HASH_V1, 1, type(uint32).max);
    }

    function test_report_RevertIf_zeroHash() public {
        _expectInvalid(bytes32(0), 10, 3);
    }

    function test_report_RevertIf_badURI() public {
        uint256 id = _publishAnonymisedBatch(alice);
        string[7] memory bad =
            ["", "ipfs://", "https://", "http://example.org/report.json", "IPFS://bafy", "ftp://x", "bafkreireport"];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(ICatalogueErrors.InvalidMetadataURI.selector);
            vm.prank(alice);
            catalogue.reportAnonymisation(id, HASH_V1, 10, 3, bad[i]);
        }
        _assertNoReport(id);
    }

    function test_report_RevertIf_wrongProductBeforeValues() public {
        // Product kind is checked before the numbers: an encrypted product with bad numbers says so.
        uint256 id = _publishAnonymised(alice, ProductType.Batch, Modality.Encrypted, PricingUnit.OneTime);
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.NotAnonymisedBatch.selector, id));
        vm.prank(alice);
        catalogue.reportAnonymisation(id, bytes32(0), 0, 0, "");
    }

    function test_report_refusedKeepsThePreviousReport() public {
        uint256 id = _publishAnonymisedBatch(alice);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        _warpBy(1 days);
        vm.expectRevert(ICatalogueErrors.InvalidAnonymisation.selector);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V2, 2, 3, URI_V2);
        Catalogue.Anonymisation memory a = catalogue.anonymisationOf(id);
        assertEq(a.reportHash, HASH_V1, "hash kept");
        assertEq(a.k, 10, "k kept");
        assertEq(a.reportedAt, T0, "reportedAt kept");
        assertEq(catalogue.getProduct(id).updatedAt, T0, "updatedAt kept");
    }

    // --- fuzz ---

    /// @dev (k, l) is accepted iff 1 ≤ l ≤ k, and then stored exactly.
    function testFuzz_report_kl(uint32 k, uint32 l) public {
        uint256 id = _publishAnonymisedBatch(alice);
        bool valid = k >= 1 && l >= 1 && l <= k;
        if (!valid) vm.expectRevert(ICatalogueErrors.InvalidAnonymisation.selector);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, k, l, URI_V1);
        Catalogue.Anonymisation memory a = catalogue.anonymisationOf(id);
        if (valid) {
            assertEq(a.k, k, "k");
            assertEq(a.l, l, "l");
            assertEq(a.reportHash, HASH_V1, "hash");
        } else {
            assertEq(a.reportedAt, 0, "nothing stored");
        }
    }

    /// @dev Near the l = k diagonal, where an off-by-one would show.
    function testFuzz_report_lAroundK(uint32 k, uint8 delta, bool above) public {
        k = uint32(bound(k, 1, type(uint32).max - 255));
        uint32 l = above ? k + delta : (delta >= k ? 1 : k - delta);
        uint256 id = _publishAnonymisedBatch(alice);
        if (l > k) vm.expectRevert(ICatalogueErrors.InvalidAnonymisation.selector);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, k, l, URI_V1);
    }

    /// @dev Only a Batch product with the Anonymised modality takes a report.
    function testFuzz_report_onlyAnonymisedBatch(uint8 typeSeed, uint8 modalitySeed) public {
        ProductType productType = ProductType(bound(typeSeed, 0, uint8(type(ProductType).max)));
        Modality modality = Modality(bound(modalitySeed, 0, uint8(type(Modality).max)));
        vm.assume(productType != ProductType.DataUnion); // published by unions only; same check applies
        bool timeBased = productType == ProductType.Stream;
        uint256 id = _publishAnonymised(alice, productType, modality, timeBased ? PricingUnit.Week : PricingUnit.OneTime);
        bool valid = productType == ProductType.Batch && modality == Modality.Anonymised;
        if (!valid) vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.NotAnonymisedBatch.selector, id));
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        assertEq(catalogue.anonymisationOf(id).reportedAt != 0, valid, "stored iff valid");
    }

    /// @dev Nobody but the seller reports, whatever the values.
    function testFuzz_report_onlySeller(address caller, bytes32 reportHash, uint32 k, uint32 l) public {
        vm.assume(caller != alice);
        uint256 id = _publishAnonymisedBatch(alice);
        vm.expectRevert(abi.encodeWithSelector(IProductErrors.NotSeller.selector, id, caller));
        vm.prank(caller);
        catalogue.reportAnonymisation(id, reportHash, k, l, URI_V1);
    }

    // --- helpers ---

    function _publishAnonymised(address seller, ProductType productType, Modality modality, PricingUnit unit)
        internal
        returns (uint256 productId)
    {
        vm.prank(seller);
        productId = catalogue.publish(
            productType, modality, 1e18, unit, _agents(), 2, _description("ICU vital signs, anonymised"), _noStreams()
        );
    }

    function _publishAnonymisedBatch(address seller) internal returns (uint256) {
        return _publishAnonymised(seller, ProductType.Batch, Modality.Anonymised, PricingUnit.OneTime);
    }

    function _expectNotAnonymisedBatch(uint256 id) internal {
        vm.expectRevert(abi.encodeWithSelector(ICatalogueErrors.NotAnonymisedBatch.selector, id));
        vm.prank(alice);
        catalogue.reportAnonymisation(id, HASH_V1, 10, 3, URI_V1);
        _assertNoReport(id);
    }

    function _expectInvalid(bytes32 reportHash, uint32 k, uint32 l) internal {
        uint256 id = _publishAnonymisedBatch(alice);
        vm.expectRevert(ICatalogueErrors.InvalidAnonymisation.selector);
        vm.prank(alice);
        catalogue.reportAnonymisation(id, reportHash, k, l, URI_V1);
        _assertNoReport(id);
    }

    function _assertNoReport(uint256 id) internal view {
        Catalogue.Anonymisation memory a = catalogue.anonymisationOf(id);
        assertEq(a.reportHash, bytes32(0), "no hash");
        assertEq(a.k, 0, "no k");
        assertEq(a.l, 0, "no l");
        assertEq(a.reportedAt, 0, "never reported");
    }
}
