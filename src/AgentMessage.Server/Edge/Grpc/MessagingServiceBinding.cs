using AgentMessage.V1;
using Grpc.Core;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>
/// Binds <see cref="MessagingGrpcService"/> as the generated <c>MessagingService.BindService</c>
/// does, with one change: StreamStatus uses <see cref="StatusResponses.Marshaller"/>. grpc-dotnet
/// and JSON transcoding find this class through <see cref="BindServiceMethodAttribute"/> on the
/// service, and read the service's <see cref="Descriptor"/> from it.
/// </summary>
public static class MessagingServiceBinding
{
    public static ServiceDescriptor Descriptor => MessagingService.Descriptor;

    public static void BindService(ServiceBinderBase serviceBinder, MessagingService.MessagingServiceBase? serviceImpl) =>
        MessagingService.BindService(new StatusStreamBinder(serviceBinder), serviceImpl);

    private sealed class StatusStreamBinder(ServiceBinderBase inner) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(method, handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(method, handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(method, handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            if (StatusResponses.Marshaller is Marshaller<TResponse> marshaller)
            {
                method = new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, method.RequestMarshaller, marshaller);
            }

            inner.AddMethod(method, handler);
        }
    }
}
