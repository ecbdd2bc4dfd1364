using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Client.Tests.Services;

/// <summary>The typed methods end to end: an operator sets up an organization with the admin
/// client, and that organization works with the client its key configures.</summary>
public sealed class TypedCallsTests
{
    private const string OperatorToken = "client-tests-operator-token-0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminAndClient_NewOrganizationWithKeyNumberAndConsent_SendsAndReadsItsMessage()
    {
        await using var server = await LiveServer.StartAsync(settings: new Dictionary<string, string> { ["AgentMessage:Admin:Token"] = OperatorToken });
        using var admin = new AgentMessageAdminClient(server.GrpcUrl, OperatorToken);

        var organization = (await admin.CreateOrganizationAsync(new CreateOrganizationRequest { Name = "Client Tests Inc" }, Ct)).Organization;
        var created = await admin.CreateApiKeyAsync(new CreateApiKeyRequest
        {
            OrganizationId = organization.Id,
            Scopes = { "messages:send", "messages:read", "consents:write", "lookups:read" },
        }, Ct);
        await admin.AddNumberAsync(new AddNumberRequest { OrganizationId = organization.Id, Number = "+15553330001" }, Ct);
        var numbers = await admin.ListNumbersAsync(new ListNumbersRequest { OrganizationId = organization.Id }, Ct);

        using var client = new AgentMessageClient(server.GrpcUrl, created.Key);
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            client.SendMessageAsync(new SendMessageRequest { From = "+15553330001", To = "+15553330002", Text = "before consent" }, cancellationToken: Ct));
        await client.RecordConsentAsync(new RecordConsentRequest { Number = "+15553330002", Source = "client test" }, Ct);
        var consent = await client.GetConsentAsync(new GetConsentRequest { Number = "+15553330002" }, Ct);
        var lookup = await client.LookupNumberAsync(new LookupNumberRequest { Number = "+15553330002" }, Ct);
        var sent = await client.SendMessageAsync(new SendMessageRequest { From = "+15553330001", To = "+15553330002", Text = "after consent" }, cancellationToken: Ct);
        var read = await client.GetMessageAsync(new GetMessageRequest { Id = sent.Message.Id }, Ct);

        Assert.StartsWith("org_", organization.Id, StringComparison.Ordinal);
        Assert.Contains(numbers.Numbers, n => n.Number == "+15553330001");
        Assert.Equal("CONSENT_REQUIRED", refused.GetErrorCode());
        Assert.Equal("client test", consent.Consent.Source);
        Assert.NotEqual(LineType.Unspecified, lookup.LineType);
        Assert.Equal("after consent", read.Message.Text);
        Assert.Equal(MessageStatus.Queued, read.Message.Status);
    }

    [Fact]
    public async Task AdminClient_WrongOperatorToken_IsRefusedUnauthenticated()
    {
        await using var server = await LiveServer.StartAsync(settings: new Dictionary<string, string> { ["AgentMessage:Admin:Token"] = OperatorToken });
        using var admin = new AgentMessageAdminClient(server.GrpcUrl, OperatorToken + "-not");

        var error = await Assert.ThrowsAsync<RpcException>(() => admin.ListOrganizationsAsync(new ListOrganizationsRequest(), Ct));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("UNAUTHORIZED", error.GetErrorCode());
    }
}
