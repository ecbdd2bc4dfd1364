using System.Text;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Carrier.Simulator;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Tests.Edge.Carrier;

/// <summary>The receipt format, its signature, references, the status mapping and the simulator's receipt URL.</summary>
public sealed class CarrierUnitTests
{
    private static CarrierReceiptSigner Signer(string? secret, TimeProvider? time = null) =>
        new(Options.Create(new CarrierReceiptOptions { ReceiptSecret = secret }), time ?? TimeProvider.System, NullLogger<CarrierReceiptSigner>.Instance);

    [Fact]
    public void Sign_IsTheDocumentedHmacOverTimestampDotBody()
    {
        var body = """{"reference":"org_a/m1","status":"DELIVRD"}"""u8.ToArray();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

        var (timestamp, signature) = Signer(DeliverySupport.ReceiptSecret).Sign(body, at);

        Assert.Equal("1700000000", timestamp);
        Assert.Equal(DeliverySupport.Sign(DeliverySupport.ReceiptSecret, "1700000000", Encoding.UTF8.GetString(body)), signature);
        Assert.Matches("^v1=[0-9a-f]{64}$", signature);
    }

    [Fact]
    public void Verify_AcceptsItsOwnSignatureAndRefusesOthers()
    {
        var signer = Signer(DeliverySupport.ReceiptSecret);
        var body = """{"reference":"org_a/m1","status":"DELIVRD"}"""u8.ToArray();
        var (timestamp, signature) = signer.Sign(body);

        Assert.Equal(ReceiptVerification.Valid, signer.Verify(timestamp, signature, body));
        Assert.Equal(ReceiptVerification.Valid, signer.Verify(timestamp, signature.ToUpperInvariant().Replace("V1=", "v1=", StringComparison.Ordinal), body));
        Assert.Equal(ReceiptVerification.BadSignature, signer.Verify(timestamp, signature, "{}"u8.ToArray()));
        Assert.Equal(ReceiptVerification.BadSignature, Signer("another-secret-of-16+").Verify(timestamp, signature, body));
        Assert.Equal(ReceiptVerification.BadSignature, signer.Verify((long.Parse(timestamp) + 1).ToString(), signature, body));
        Assert.Equal(ReceiptVerification.BadSignature, signer.Verify(timestamp, signature[..^2], body));
        Assert.Equal(ReceiptVerification.BadSignature, signer.Verify(" " + timestamp, signature, body));
        Assert.Equal(ReceiptVerification.BadSignature, signer.Verify(timestamp, null, body));
    }

    [Theory]
    [InlineData(-299, ReceiptVerification.Valid)]
    [InlineData(299, ReceiptVerification.Valid)]
    [InlineData(-301, ReceiptVerification.Stale)]
    [InlineData(301, ReceiptVerification.Stale)]
    public void Verify_HonoursTheReplayWindowBothWays(int skewSeconds, ReceiptVerification expected)
    {
        var body = "{}"u8.ToArray();
        var carrier = Signer(DeliverySupport.ReceiptSecret);
        var (timestamp, signature) = carrier.Sign(body, DateTimeOffset.UtcNow.AddSeconds(skewSeconds));

        Assert.Equal(expected, carrier.Verify(timestamp, signature, body));
    }

    [Fact]
    public void Verify_WithoutAConfiguredSecret_UsesOneRandomSecretPerSigner()
    {
        var first = Signer(null);
        var second = Signer(null);
        var body = "{}"u8.ToArray();
        var (timestamp, signature) = first.Sign(body);

        Assert.True(first.IsRandomSecret);
        Assert.Equal(ReceiptVerification.Valid, first.Verify(timestamp, signature, body));
        Assert.Equal(ReceiptVerification.BadSignature, second.Verify(timestamp, signature, body));
    }

    [Theory]
    [InlineData("DELIVRD", DeliveryStatus.Delivered)]
    [InlineData("UNDELIV", DeliveryStatus.Undelivered)]
    [InlineData("EXPIRED", DeliveryStatus.Undelivered)]
    [InlineData("REJECTD", DeliveryStatus.Failed)]
    [InlineData("ACCEPTD", DeliveryStatus.Sent)]
    [InlineData("UNKNOWN", DeliveryStatus.Undelivered)]
    [InlineData("DELETED", DeliveryStatus.Failed)]
    [InlineData("ENROUTE", null)]
    public void CarrierStatuses_MapOntoOurs(string carrier, DeliveryStatus? ours) =>
        Assert.Equal(ours, CarrierReceiptStatus.ToDeliveryStatus(carrier));

    [Fact]
    public void Receipt_RoundTripsThroughItsJson()
    {
        var receipt = new CarrierReceipt("org_a/m1", "UNDELIV", "unreachable", DateTimeOffset.Parse("2025-03-04T05:06:07.089Z"));

        Assert.True(CarrierReceiptJson.TryParse(receipt.ToJson(), out var parsed, out var problem), problem);
        Assert.Equal(receipt, parsed);
        Assert.Equal("""{"reference":"org_a/m1","status":"UNDELIV","error_code":"unreachable","occurred_at":"2025-03-04T05:06:07.089Z"}""", Encoding.UTF8.GetString(receipt.ToJson()));
    }

    [Theory]
    [InlineData("org_a/m1", true)]
    [InlineData("org_development/0b9f7a4e-8a52-4a43-9d3e-2f1b7c7b5a10", true)]
    [InlineData("", false)]
    [InlineData("/m1", false)]
    [InlineData("org_a/", false)]
    [InlineData("org_a", false)]
    [InlineData("a/b/c", false)]
    [InlineData("org a/m1", false)]
    public void Reference_ParsesOnlyOrganizationSlashMessage(string reference, bool valid) =>
        Assert.Equal(valid, CarrierReference.TryParse(reference, out _, out _));

    [Fact]
    public void Reference_DependsOnlyOnTheMessage()
    {
        Assert.Equal("org_a/m1", CarrierReference.Of("org_a", "m1"));
        Assert.True(CarrierReference.TryParse(CarrierReference.Of("org_a", "m1"), out var organization, out var message));
        Assert.Equal(("org_a", "m1"), (organization, message));
    }

    [Theory]
    [InlineData("https://receipts.example/hook", "https://receipts.example/hook")]
    [InlineData("http://127.0.0.1:5000/v1/carrier/receipts", "http://127.0.0.1:5000/v1/carrier/receipts")]
    [InlineData(null, null)]
    [InlineData(" ", null)]
    public void ReceiptUrl_OnlyAnExplicitOneSendsReceiptsOverHttp(string? configured, string? expected) =>
        Assert.Equal(expected, CarrierSimulator.ResolveReceiptUrl(configured)?.ToString());

    [Theory]
    [InlineData("+15550000001", SimulatedOutcome.Undelivered)]
    [InlineData("+15550000002", SimulatedOutcome.RejectedAtSubmit)]
    [InlineData("+15550000003", SimulatedOutcome.NoReceipt)]
    [InlineData("+15550000004", SimulatedOutcome.Expired)]
    [InlineData("+15554443333", SimulatedOutcome.Delivered)]
    public void Simulator_OutcomeIsChosenByRecipient(string to, SimulatedOutcome outcome) =>
        Assert.Equal(outcome, CarrierSimulator.OutcomeFor(to));

    [Fact]
    public void ShiftedClock_IsUsedForTheWindow()
    {
        var late = new ShiftedTimeProvider { Offset = TimeSpan.FromMinutes(10) };
        var body = "{}"u8.ToArray();
        var (timestamp, signature) = Signer(DeliverySupport.ReceiptSecret).Sign(body);

        Assert.Equal(ReceiptVerification.Stale, Signer(DeliverySupport.ReceiptSecret, late).Verify(timestamp, signature, body));
    }
}
