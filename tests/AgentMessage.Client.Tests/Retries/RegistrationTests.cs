using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentMessage.Client.Tests.Retries;

/// <summary>The client as an application registers it: from configuration, or in code.</summary>
public sealed class RegistrationTests(EmbeddedServerFixture fixture) : IClassFixture<EmbeddedServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddAgentMessageClient_FromAConfigurationSection_TalksToTheServerWithTheBoundRetryPolicy()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AgentMessageClient:Endpoint"] = fixture.Server.GrpcUrl.ToString(),
            ["AgentMessageClient:ApiKey"] = LiveServer.DevKey,
            ["AgentMessageClient:Retry:MaxAttempts"] = "2",
            ["AgentMessageClient:Retry:InitialBackoff"] = "00:00:00.010",
        }).Build();
        var injector = new FaultInjector { Plan = (method, _) => method == "GetMessage" ? Fault.ConnectionRefused : Fault.None };
        await using var provider = new ServiceCollection()
            .AddAgentMessageClient(configuration.GetSection(AgentMessageClientOptions.SectionName), options => options.HttpHandler = injector)
            .BuildServiceProvider();
        var client = provider.GetRequiredService<AgentMessageClient>();

        var sent = await client.SendMessageAsync(Clients.Send(Clients.NewTag()), cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetMessageAsync(new GetMessageRequest { Id = sent.Message.Id }, Ct));

        Assert.Equal(MessageStatus.Queued, sent.Message.Status);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(2, injector.AttemptsOf("GetMessage").Count);
        Assert.Same(client, provider.GetRequiredService<AgentMessageClient>());
    }

    [Fact]
    public async Task AddAgentMessageClient_InCode_ReadsTheMessageItSent()
    {
        await using var provider = new ServiceCollection()
            .AddAgentMessageClient(options =>
            {
                options.Endpoint = fixture.Server.GrpcUrl;
                options.ApiKey = LiveServer.DevKey;
            })
            .BuildServiceProvider();
        var client = provider.GetRequiredService<AgentMessageClient>();

        var sent = await client.SendMessageAsync(Clients.Send(Clients.NewTag()), cancellationToken: Ct);
        var read = await client.GetMessageAsync(new GetMessageRequest { Id = sent.Message.Id }, Ct);

        Assert.Equal(sent.Message.Id, read.Message.Id);
    }

    [Fact]
    public void AddAgentMessageClient_WithoutApiKey_FailsOnResolveNamingTheSetting()
    {
        using var provider = new ServiceCollection()
            .AddAgentMessageClient(options => options.Endpoint = fixture.Server.GrpcUrl)
            .BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<AgentMessageClient>());

        Assert.Contains("ApiKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Constructor_WrongApiKey_CallsAreRefusedUnauthenticatedWithoutRetry()
    {
        var injector = new FaultInjector();
        using var client = new AgentMessageClient(new AgentMessageClientOptions
        {
            Endpoint = fixture.Server.GrpcUrl,
            ApiKey = "am_live_NotAKeyOfThisServer000000000000000",
            HttpHandler = injector,
        });

        var error = await Assert.ThrowsAsync<RpcException>(() => client.ListMessagesAsync(new ListMessagesRequest(), Ct));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Single(injector.AttemptsOf("ListMessages"));
    }

    [Theory]
    [InlineData("localhost:8081")]
    [InlineData("ftp://localhost:8081")]
    public void Constructor_EndpointNotAnAbsoluteHttpAddress_ThrowsArgumentException(string endpoint)
    {
        var error = Assert.Throws<ArgumentException>(() => new AgentMessageClient(new Uri(endpoint, UriKind.RelativeOrAbsolute), LiveServer.DevKey));

        Assert.Contains("Endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminClient_WithoutAnOperatorTokenOnTheServer_IsAnsweredNotFound()
    {
        using var admin = new AgentMessageAdminClient(fixture.Server.GrpcUrl, "an-operator-token-of-at-least-32-characters");

        var error = await Assert.ThrowsAsync<RpcException>(() => admin.ListOrganizationsAsync(new ListOrganizationsRequest(), Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}
