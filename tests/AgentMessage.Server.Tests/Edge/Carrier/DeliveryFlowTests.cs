using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Server.Edge.Carrier.Simulator;
using static AgentMessage.Server.Tests.Support.DeliverySupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Carrier;

/// <summary>Each row of the simulator's outcome table, end to end: send over REST, watch GetMessage.</summary>
public sealed class DeliveryFlowTests(DeliveryServer shared) : IClassFixture<DeliveryServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task Send_ToAnOrdinaryNumber_IsDelivered()
    {
        var id = await server.SendAsync(OrdinaryRecipient);

        var message = await server.WaitForStatusAsync(id, "delivered");

        Assert.False(message.AsObject().ContainsKey("error_code"));
    }

    [Fact]
    public async Task Send_ToTheUndeliveredNumber_IsUndeliveredAsUnreachable()
    {
        var id = await server.SendAsync(CarrierSimulator.UndeliveredNumber);

        var message = await server.WaitForStatusAsync(id, "undelivered");

        Assert.Equal("unreachable", (string)message["error_code"]!);
    }

    [Fact]
    public async Task Send_ToTheExpiredNumber_IsUndeliveredAsExpired()
    {
        var id = await server.SendAsync(CarrierSimulator.ExpiredNumber);

        var message = await server.WaitForStatusAsync(id, "undelivered");

        Assert.Equal("expired", (string)message["error_code"]!);
    }

    [Fact]
    public async Task Send_ToTheRejectedNumber_FailsAtSubmission()
    {
        var id = await server.SendAsync(CarrierSimulator.RejectedNumber);

        var message = await server.WaitForStatusAsync(id, "failed");

        Assert.Equal("carrier_rejected", (string)message["error_code"]!);
    }

    [Fact]
    public async Task Send_ToTheNoReceiptNumber_StaysSent()
    {
        var silent = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(silent, "sent");

        // A message submitted after it gets its receipt; by then the silent one would have had its own.
        var later = await server.SendAsync(OrdinaryRecipient);
        await server.WaitForStatusAsync(later, "delivered");

        Assert.Equal("sent", await server.StatusAsync(silent));
    }

    [Fact]
    public async Task Receipt_ForASentMessage_IsAppliedAndMovesItForward()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, "DELIVRD"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(JsonNode.Parse("""{"success":true,"data":{"applied":true}}""")!, body);
        Assert.Equal("delivered", await server.StatusAsync(id));
    }

    [Fact]
    public async Task Receipt_Rejected_FailsTheMessageWithTheCarriersCode()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");

        var (_, body) = await server.PostReceiptAsync(ReceiptBody(id, "REJECTD", "spam_suspected"));

        Assert.True((bool)body["data"]!["applied"]!);
        var message = await server.GetMessageAsync(id);
        Assert.Equal("failed", (string)message["status"]!);
        Assert.Equal("spam_suspected", (string)message["error_code"]!);
    }

    [Fact]
    public async Task Receipt_Enroute_ChangesNothing()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, "ENROUTE"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((bool)body["data"]!["applied"]!);
        Assert.Equal("sent", await server.StatusAsync(id));
    }

    [Theory]
    [InlineData("UNKNOWN", "undelivered", "unknown")]
    [InlineData("DELETED", "failed", "deleted")]
    public async Task Receipt_FinalSmppStates_EndTheMessage(string carrierStatus, string status, string errorCode)
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, carrierStatus));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool)body["data"]!["applied"]!);
        var message = await server.GetMessageAsync(id);
        Assert.Equal(status, (string)message["status"]!);
        Assert.Equal(errorCode, (string)message["error_code"]!);
    }

    [Theory]
    [InlineData("DELIVRD", null)]
    [InlineData("ACCEPTD", null)]
    [InlineData("UNDELIV", "unreachable")]
    [InlineData("REJECTD", "carrier_rejected")]
    [InlineData("EXPIRED", null)]
    public async Task Receipt_AfterDelivery_IsIgnoredAndChangesNothing(string status, string? errorCode)
    {
        var id = await server.SendAsync(OrdinaryRecipient);
        var delivered = await server.WaitForStatusAsync(id, "delivered");

        var (response, body) = await server.PostReceiptAsync(ReceiptBody(id, status, errorCode));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(JsonNode.Parse("""{"success":true,"data":{"applied":false}}""")!, body);
        AssertJsonEqual(delivered, await server.GetMessageAsync(id));
    }

    [Fact]
    public async Task Receipt_UndeliveredAfterUndelivered_KeepsTheFirstErrorCode()
    {
        var id = await server.SendAsync(CarrierSimulator.UndeliveredNumber);
        var undelivered = await server.WaitForStatusAsync(id, "undelivered");

        var (_, body) = await server.PostReceiptAsync(ReceiptBody(id, "EXPIRED", "something_else"));

        Assert.False((bool)body["data"]!["applied"]!);
        AssertJsonEqual(undelivered, await server.GetMessageAsync(id));
    }

    [Fact]
    public async Task Receipt_ForAnUnknownMessage_IsAnsweredNotApplied()
    {
        var (response, body) = await server.PostReceiptAsync(ReceiptBody(Guid.NewGuid().ToString("D"), "DELIVRD"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((bool)body["data"]!["applied"]!);
    }

    [Fact]
    public async Task Receipt_NamingAnotherOrganization_DoesNotTouchTheMessage()
    {
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");

        var (_, body) = await server.PostReceiptAsync(ReceiptBody(id, "DELIVRD", organizationId: "org_someone_else"));

        Assert.False((bool)body["data"]!["applied"]!);
        Assert.Equal("sent", await server.StatusAsync(id));
    }
}
