using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Carrier.Simulator;
using AgentMessage.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.DeliverySupport;

namespace AgentMessage.Server.Tests.Edge.Carrier.Simulator;

/// <summary>
/// Where the simulator's receipts go: in-process through the receipt port by default (no HTTP
/// request reaches the receipt endpoint), signed over HTTP when <c>ReceiptUrl</c> is set.
/// </summary>
public sealed class SimulatorReceiptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DefaultSimulator_DeliversReceiptsInProcess_WithoutAnyReceiptRequest()
    {
        var receiptRequests = new ReceiptRequestCounter();
        await using var server = await TestServer.StartAsync(Settings(), receiptRequests.Register);
        await SeedSimulatorConsentAsync(server);

        var delivered = await server.SendAsync(OrdinaryRecipient);
        var undelivered = await server.SendAsync(CarrierSimulator.UndeliveredNumber);

        await server.WaitForStatusAsync(delivered, "delivered");
        var rest = await server.WaitForStatusAsync(undelivered, "undelivered");
        var grpcDelivered = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = delivered }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var grpcUndelivered = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = undelivered }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);

        Assert.Equal(CarrierSimulator.UnreachableError, (string)rest["error_code"]!);
        Assert.Equal(MessageStatus.Delivered, grpcDelivered.Message.Status);
        Assert.Equal(MessageStatus.Undelivered, grpcUndelivered.Message.Status);
        Assert.Equal(CarrierSimulator.UnreachableError, grpcUndelivered.Message.ErrorCode);
        Assert.Equal(0, receiptRequests.Count);
    }

    [Fact]
    public async Task SimulatorWithReceiptUrl_PostsSignedReceiptsOverHttp()
    {
        // ReceiptUrl is this server's own receipt endpoint, whose port is known only once the test
        // server picked it: set as the configuration key would set it, from the listener's URL.
        var receiptRequests = new ReceiptRequestCounter();
        await using var server = await TestServer.StartAsync(Settings(), services =>
        {
            receiptRequests.Register(services);
            services.AddOptions<CarrierSimulatorOptions>().PostConfigure<IConfiguration>((options, configuration) =>
                options.ReceiptUrl = new Uri(new Uri(configuration["Kestrel:Endpoints:Rest:Url"]!), CarrierReceiptEndpoint.Route).ToString());
        });
        await SeedSimulatorConsentAsync(server);

        var id = await server.SendAsync(OrdinaryRecipient);

        await server.WaitForStatusAsync(id, "delivered");
        var grpc = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = id }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        Assert.Equal(MessageStatus.Delivered, grpc.Message.Status);

        // The endpoint applies only receipts whose signature it verified: the receipt came signed, over HTTP.
        Assert.Equal(1, receiptRequests.Count);
    }

    /// <summary>Counts the requests that reach the HTTP receipt endpoint's route, ahead of the rest of the pipeline.</summary>
    private sealed class ReceiptRequestCounter : IStartupFilter
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public void Register(IServiceCollection services) => services.AddSingleton<IStartupFilter>(this);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate rest) =>
            {
                if (context.Request.Path.Equals(CarrierReceiptEndpoint.Route, StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref count);
                }

                await rest(context);
            });
            next(app);
        };
    }
}
